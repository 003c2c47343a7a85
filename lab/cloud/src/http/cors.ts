import cors from '@fastify/cors';
import type { App } from './app.ts';

/**
 * CORS for the configured web origins only (exact `scheme://host[:port]` matches), so a page
 * such as the browser viewer may call the REST API with its bearer. Any other origin gets no
 * CORS headers, so the browser refuses it; with no origins configured nothing is registered.
 * Only the Authorization bearer travels, never cookies, so credentials mode stays off. The
 * real-time upgrade does not look at Origin: its single-use token, minted with the bearer over
 * this API, is what authenticates it.
 */
export async function installCors(app: App, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  await app.register(cors, {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    maxAge: 600,
  });
}
