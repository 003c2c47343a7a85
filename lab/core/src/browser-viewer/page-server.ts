/**
 * Serves the browser viewer page (index.html + viewer.js, nothing else) on 127.0.0.1 inside the
 * host the browser runs in: `node page-server.ts <port>`. The page's origin is then
 * http://127.0.0.1:<port> — a secure context for WebRTC, and the origin the cloud's CORS list names.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createLogger, logReady } from '@multiclaw-lab/kit';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/viewer.js': { file: 'viewer.js', type: 'text/javascript; charset=utf-8' },
};

const logger = createLogger({ service: 'browser-viewer-page' });
const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  logger.fatal({ event: 'config.invalid', port: process.argv[2] }, 'usage: page-server.ts <port>');
  process.exit(2);
}

const server = createServer(async (request, response) => {
  const path = new URL(request.url ?? '/', 'http://page.invalid').pathname;
  if (path === '/favicon.ico') {
    response.writeHead(204).end(); // the browser asks; there is none
    return;
  }
  const entry = FILES[path];
  const status = request.method !== 'GET' ? 405 : entry ? 200 : 404;
  logger.info({ event: 'http.request', method: request.method, path, status });
  if (status !== 200 || !entry) {
    response.writeHead(status).end();
    return;
  }
  const body = await readFile(join(import.meta.dirname, entry.file));
  response.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' }).end(body);
});
server.listen(port, '127.0.0.1', () => logReady(logger, { url: `http://127.0.0.1:${port}` }));
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    server.closeAllConnections(); // the browser keeps connections alive
    server.close(() => process.exit(0));
  });
