import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { LOCAL_API_FILE } from '@multiclaw-lab/protocol';
import type { RecordedRequest } from './stand-in-cloud.ts';

/**
 * A stand-in local gateway for the desktop simulator's unit tests: plain HTTP on 127.0.0.1, a
 * session token in `<home>/.openclaw/run/local-api.json`, and a recording of every request.
 */
export class StandInGateway {
  readonly requests: RecordedRequest[] = [];
  readonly token = randomBytes(32).toString('base64url');
  readonly home: string;
  server!: Server;
  url!: string;

  constructor(home: string) {
    this.home = home;
  }

  static async start(home: string): Promise<StandInGateway> {
    const gateway = new StandInGateway(home);
    gateway.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : null;
      gateway.requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body });
      const json = (status: number, value?: unknown) => {
        res.writeHead(status, value === undefined ? {} : { 'content-type': 'application/json' });
        res.end(value === undefined ? undefined : JSON.stringify(value));
      };
      if (req.headers.authorization !== `Bearer ${gateway.token}`) {
        return json(401, { error: { code: 'unauthenticated', message: 'bad session token' } });
      }
      const route = `${req.method} ${req.url}`;
      if (route === 'PUT /v1/workspace' || route === 'DELETE /v1/workspace') return json(204);
      if (route === 'GET /v1/conversations') {
        return json(200, { conversations: [{ id: 'c1', revision: 1, updatedAt: '2026-03-31T00:00:00.000Z' }] });
      }
      if (route === 'GET /v1/conversations/c1') {
        const at = '2026-03-31T00:00:00.000Z';
        return json(200, {
          id: 'c1',
          agentId: 'a1',
          revision: 1,
          updatedAt: at,
          messages: [{ role: 'user', content: 'hello', at }],
        });
      }
      if (route === 'POST /v1/tasks') return json(202, { taskId: 't1', conversationId: 'c1' });
      if (route === 'GET /v1/tasks/t1') {
        return json(200, { taskId: 't1', agentId: 'a1', conversationId: 'c1', state: 'completed', statuses: [] });
      }
      if (route === 'GET /v1/status') {
        return json(200, {
          mode: 'local',
          version: '1.0.0',
          workspace: { linked: true, workspaceId: 'w1', instanceId: 'i1', connected: true, configVersion: 1 },
          tasks: { running: 0 },
          outbox: { pending: 0 },
          agents: [],
        });
      }
      return json(404, { error: { code: 'not_found', message: `no route ${route}` } });
    });
    gateway.server.listen(0, '127.0.0.1');
    await once(gateway.server, 'listening');
    gateway.url = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
    const file = join(home, LOCAL_API_FILE);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, JSON.stringify({ url: gateway.url, token: gateway.token, pid: process.pid }), { mode: 0o600 });
    return gateway;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
