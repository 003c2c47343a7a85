import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

const VIEWER = 'http://127.0.0.1:8480';
const preflight = (origin: string, method = 'POST') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': 'authorization,content-type',
});

describe('CORS: configured origins only', () => {
  let t: TestCloud;
  let bare: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud({ corsOrigins: [VIEWER] });
    bare = await startTestCloud();
  });
  afterAll(async () => {
    await t?.cloud.close();
    await bare?.cloud.close();
  });

  it('allows the preflight of a listed origin, with the bearer header', async () => {
    const res = await t.http('OPTIONS', '/v1/realtime/token', { headers: preflight(VIEWER) });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(VIEWER);
    expect(
      String(res.headers['access-control-allow-headers'])
        .split(',')
        .map((h) => h.trim()),
    ).toEqual(['authorization', 'content-type']);
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('answers a listed origin cross-origin and still authenticates the request', async () => {
    const u = await t.user('Viewer');
    const ok = await t.http('GET', '/v1/turn/credentials', { auth: u.bearer, headers: { origin: VIEWER } });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(VIEWER);
    const anonymous = await t.http('GET', '/v1/turn/credentials', { headers: { origin: VIEWER } });
    expect(anonymous.status).toBe(401);
  });

  it('gives any other origin no CORS headers, so a browser refuses it', async () => {
    for (const origin of ['http://127.0.0.1:8481', 'https://127.0.0.1:8480', 'http://evil.test', 'null']) {
      const res = await t.http('OPTIONS', '/v1/realtime/token', { headers: preflight(origin) });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      const get = await t.http('GET', '/healthz', { headers: { origin } });
      expect(get.headers['access-control-allow-origin'], origin).toBeUndefined();
    }
  });

  it('with no origins configured there is no CORS at all', async () => {
    const res = await bare.http('OPTIONS', '/v1/realtime/token', { headers: preflight(VIEWER) });
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
