import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { routes } from '@multiclaw-lab/protocol';
import { Agent, fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newAccount, startStack } from './support.ts';

/**
 * Every service answers malformed and unauthenticated requests with a 4xx and keeps serving:
 * bad input never crashes a process. (Lab rule; and the basis of "unauthenticated parties cannot
 * inject candidates" and of the localhost API's token check.)
 */
describe('malformed and unauthenticated input', () => {
  it('gets 4xx from the cloud, the gateway, the LLM provider and the CDN, and nothing crashes', async () => {
    await using lab = await startStack();
    const { api, stack } = lab;
    const alice = await newAccount(api, 'alice');

    const cloudCases: Array<[string, string, Parameters<typeof api.raw>[2]]> = [
      ['POST', '/v1/auth/sign-in', { rawBody: '{not json', headers: { 'content-type': 'application/json' } }],
      ['POST', '/v1/auth/sign-in', { body: { email: 42, password: [] } }],
      ['POST', '/v1/auth/sign-up', { body: { email: 'x@y.test', password: 'short', name: '' } }],
      ['POST', '/v1/auth/sign-in', { body: { email: 'a@b.test', password: 'x'.repeat(2_000_000) } }],
      ['GET', '/v1/me', {}],
      ['GET', '/v1/me', { credential: 'mcb_forged-bearer-value-xxxxxxxxxxxx' }],
      ['GET', '/v1/me', { headers: { authorization: 'Basic YWxpY2U6cHc=' } }],
      ['POST', '/v1/realtime/token', { credential: alice.bearer, body: { channel: 'gateway' } }],
      ['POST', '/v1/realtime/token', { credential: alice.bearer, body: { channel: 'nonsense' } }],
      ['POST', '/v1/workspaces', { credential: alice.bearer, body: { name: 7 } }],
      ['DELETE', '/v1/workspaces/does-not-exist/members/x', { credential: alice.bearer }],
      ['GET', '/v1/no-such-route', {}],
      ['GET', '/../../etc/passwd', {}],
    ];
    for (const [method, path, options] of cloudCases) {
      const res = await api.raw(method, path, options);
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }

    // Real-time: no token, a garbage token → 401 at upgrade; garbage frames → error frames, socket stays.
    const wsUrl = `${stack.cloudUrl.replace('https:', 'wss:')}/v1/realtime/user`;
    for (const protocols of [['multiclaw.v1'], ['multiclaw.v1', 'token.garbage']]) {
      const status = await new Promise<number>((resolve) => {
        const ws = new WebSocket(wsUrl, protocols, { ca: stack.ca.certPem });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => resolve(101));
        ws.once('error', () => undefined);
      });
      expect(status).toBe(401);
    }
    const { token } = await api.request(routes.mintRealtimeToken, { credential: alice.bearer, body: { channel: 'user' } });
    const ws = new WebSocket(wsUrl, ['multiclaw.v1', `token.${token}`], { ca: stack.ca.certPem });
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d))));
    await new Promise((resolve) => ws.once('open', resolve));
    for (const junk of ['not json', '[]', '{"type":"task.status"}', JSON.stringify({ type: 'rtc.offer', sessionId: 'x' })])
      ws.send(junk);
    await new Promise<void>((resolve) => {
      const check = () => (frames.filter((f) => f.type === 'error').length >= 4 ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(frames.filter((f) => f.type === 'error').every((f) => f.code === 'malformed_message' || f.code === 'forbidden')).toBe(
      true,
    );
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();

    // The gateway's local API: 401 without the session token, 4xx for junk with it.
    const gateway = await stack.startGateway('gw');
    const local = JSON.parse(await readFile(join(gateway.home, '.openclaw', 'run', 'local-api.json'), 'utf8'));
    const plain = new Agent();
    const hit = (path: string, init: { method?: string; body?: string; token?: string } = {}) =>
      fetch(`${local.url}${path}`, {
        method: init.method ?? 'GET',
        body: init.body,
        headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
        dispatcher: plain,
      }).then((r) => r.status);
    expect(await hit('/v1/status')).toBe(401);
    expect(await hit('/v1/status', { token: 'wrong-token-wrong-token-wrong-token' })).toBe(401);
    expect(await hit('/v1/status', { token: local.token })).toBe(200);
    expect(await hit('/v1/tasks', { method: 'POST', body: '{oops', token: local.token })).toBe(400);
    expect(
      await hit('/v1/tasks', { method: 'POST', body: JSON.stringify({ agentId: 'nope', prompt: 'x' }), token: local.token }),
    ).toBeGreaterThanOrEqual(400);
    expect(await hit('/v1/nothing', { token: local.token })).toBe(404);

    // The LLM provider and the CDN.
    const trusting = new Agent({ connect: { ca: stack.ca.certPem } });
    const llm = (body: string, auth?: string) =>
      fetch(`${stack.llmUrl}/v1/chat/completions`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        dispatcher: trusting,
      }).then((r) => r.status);
    expect(await llm('{}')).toBe(401);
    const key = 'sk-lab-bad-input-0123456789abcdef';
    await stack.llmAdmin.registerKey(key);
    expect(await llm('{bad', key)).toBe(400);
    expect(await llm(JSON.stringify({ model: 1, messages: 'x' }), key)).toBe(400);
    const cdn = (path: string) => fetch(`${stack.cdnUrl}${path}`, { dispatcher: trusting }).then((r) => r.status);
    expect(await cdn('/updates/nope/latest.json')).toBe(404);
    expect(await cdn('/updates/..%2F..%2Fetc/passwd')).toBeGreaterThanOrEqual(400);

    // Still alive and serving.
    for (const p of [stack.cloud, stack.llm, stack.cdn, gateway.process]) expect(p.running, p.name).toBe(true);
    expect((await api.raw('GET', '/healthz')).status).toBe(200);
    expect(await hit('/v1/status', { token: local.token })).toBe(200);
    await plain.close();
    await trusting.close();
    await gateway.process.stop();
  });
});
