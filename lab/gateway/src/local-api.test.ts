import { mkdtemp, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalApiFile } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './gateway.ts';
import { captureLogs } from './test-support/log-capture.ts';

let gateway: GatewayHandle;
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'gw-api-'));
  gateway = await startGateway({ home, mode: 'local', logger: captureLogs().logger });
});
afterAll(() => gateway.close());

const call = (path: string, init: RequestInit = {}) => fetch(`${gateway.url}${path}`, init);
const authed = (path: string, init: RequestInit = {}) =>
  call(path, {
    ...init,
    headers: { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json', ...init.headers },
  });

const ROUTES: [string, string][] = [
  ['GET', '/v1/status'],
  ['PUT', '/v1/workspace'],
  ['DELETE', '/v1/workspace'],
  ['POST', '/v1/tasks'],
  ['GET', '/v1/tasks/t1'],
  ['GET', '/v1/conversations'],
  ['GET', '/v1/conversations/c1'],
  ['GET', '/no/such/route'],
];

describe('local API', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(new URL(gateway.url).hostname).toBe('127.0.0.1');
    // 127.0.0.2 is another loopback address: a server bound to 0.0.0.0 would answer there too.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(gateway.port, '127.0.0.2');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('hands the desktop app its url and token through local-api.json', async () => {
    const file = LocalApiFile.parse(JSON.parse(await readFile(join(home, '.openclaw/run/local-api.json'), 'utf8')));
    expect(file).toEqual({ url: gateway.url, token: gateway.sessionToken, pid: process.pid });
    expect(Buffer.from(file.token, 'base64url')).toHaveLength(32);
  });

  it.each(ROUTES)('401s %s %s without a token, with a wrong token and with another scheme', async (method, path) => {
    const wrong = `${gateway.sessionToken.slice(0, -1)}${gateway.sessionToken.endsWith('A') ? 'B' : 'A'}`;
    for (const authorization of [
      undefined,
      `Bearer ${wrong}`,
      `Basic ${gateway.sessionToken}`,
      gateway.sessionToken,
      'Bearer ',
    ]) {
      const res = await call(path, { method, headers: authorization === undefined ? {} : { authorization } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    }
  });

  it('answers with the right token', async () => {
    const res = await authed('/v1/status');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ mode: 'local', workspace: { linked: false, connected: false, state: 'unlinked' } });
  });

  it('refuses bad input with 4xx error bodies', async () => {
    const badJson = await authed('/v1/tasks', { method: 'POST', body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { code: 'bad_request', message: 'the body is not valid JSON' } });

    const wrongTypes = await authed('/v1/tasks', { method: 'POST', body: JSON.stringify({ agentId: 5, prompt: '' }) });
    expect(wrongTypes.status).toBe(400);
    const body = (await wrongTypes.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['agentId', 'prompt']));

    const huge = await authed('/v1/tasks', { method: 'POST', body: JSON.stringify({ prompt: 'x'.repeat(200_000) }) });
    expect(huge.status).toBe(413);

    const unknownRoute = await authed('/v1/nothing');
    expect(unknownRoute.status).toBe(404);
    const unknownAgent = await authed('/v1/tasks', { method: 'POST', body: JSON.stringify({ agentId: 'nope', prompt: 'hi' }) });
    expect(unknownAgent.status).toBe(404);
    const badPercent = await authed('/v1/tasks/%E0%A4%A');
    expect(badPercent.status).toBe(400);
    const traversal = await authed('/v1/conversations/..%2F..%2Fopenclaw');
    expect(traversal.status).toBe(404);

    // still alive afterwards
    expect((await authed('/v1/status')).status).toBe(200);
  });
});
