import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

const run = promisify(execFile);
let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud({ turnUrls: ['turn:turn.multiclaw.test:3478', 'turns:turn.multiclaw.test:443'], turnTtlSeconds: 600 });
});
afterAll(() => t?.cloud.close());

describe('bad input is refused with a 4xx ErrorBody and the server keeps serving', () => {
  it('malformed JSON, wrong types, unknown routes, oversized bodies, bad content types', async () => {
    const cases = [
      [await t.http('POST', '/v1/auth/sign-in', { raw: '{"email": "a@b.test", "password": ' }), 400, 'bad_request'],
      [await t.http('POST', '/v1/auth/sign-in', { body: { email: 42, password: ['x'] } }), 400, 'bad_request'],
      [await t.http('POST', '/v1/auth/sign-in', { body: [] }), 400, 'bad_request'],
      [await t.http('POST', '/v1/auth/sign-in'), 400, 'bad_request'],
      [
        await t.http('POST', '/v1/auth/sign-up', { body: { email: 'n@b.test', password: 'pass\u0000word!', name: 'N' } }),
        400,
        'bad_request',
      ],
      [await t.http('GET', '/v1/nope'), 404, 'not_found'],
      [await t.http('DELETE', '/v1/me'), 404, 'not_found'],
      [await t.http('POST', '/v1/auth/sign-in', { raw: 'x'.repeat(300 * 1024) }), 413, 'payload_too_large'],
      [
        await t.http('POST', '/v1/auth/sign-in', {
          raw: 'email=a',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
        400,
        'bad_request',
      ],
      [await t.http('GET', '/v1/me'), 401, 'unauthenticated'],
      [await t.http('GET', '/v1/me', { auth: 'mcb_unknown-token-value' }), 401, 'unauthenticated'],
      [await t.http('GET', '/v1/me', { headers: { authorization: 'Basic Zm9vOmJhcg==' } }), 401, 'unauthenticated'],
      [
        await t.http('POST', '/v1/realtime/token', { auth: 'not-a-credential', body: { channel: 'user' } }),
        401,
        'unauthenticated',
      ],
    ] as const;
    for (const [res, status, code] of cases) {
      expect(res.status, res.text).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    }
    const health = await t.http('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', version: expect.any(String) });
  });

  it('a path id that is too long is a 400, not a crash', async () => {
    const u = await t.user('Pathy');
    const long = await t.http('GET', `/v1/workspaces/${'w'.repeat(200)}/members`, { auth: u.bearer });
    expect(long.status).toBe(400);
    expect(long.body.error.code).toBe('bad_request');
    const res = await t.http('GET', `/v1/workspaces/${'w'.repeat(80)}/members`, { auth: u.bearer });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/wid/);
  });
});

describe('TURN credentials', () => {
  it("are coturn's time-limited form: HMAC-SHA1 of `<expiry>:<subject>` under the shared secret", async () => {
    const u = await t.user('Turner');
    const res = await t.http('GET', '/v1/turn/credentials', { auth: u.bearer });
    expect(res.status).toBe(200);
    const expiry = Math.floor(t.clock.now() / 1000) + 600;
    expect(res.body.username).toBe(`${expiry}:${u.id}`);
    expect(res.body.credential).toBe(createHmac('sha1', t.secrets.turnSecret).update(res.body.username).digest('base64'));
    expect(res.body.urls).toEqual(['turn:turn.multiclaw.test:3478', 'turns:turn.multiclaw.test:443']);
    expect(res.body.ttlSeconds).toBe(600);
    expect(res.body.expiresAt).toBe(new Date(expiry * 1000).toISOString());

    const wid = (await t.http('POST', '/v1/workspaces', { auth: u.bearer, body: { name: 'T' } })).body.id;
    const desk = await t.http('POST', `/v1/workspaces/${wid}/instances`, { auth: u.bearer, body: { name: 'd' } });
    const forDesk = await t.http('GET', '/v1/turn/credentials', { auth: desk.body.instanceToken });
    expect(forDesk.body.username).toBe(`${expiry}:${desk.body.instance.id}`);
    const gw = await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: u.bearer, body: { deviceName: 'g' } });
    expect((await t.http('GET', '/v1/turn/credentials', { auth: gw.body.authToken })).status).toBe(401);
  });
});

describe('TLS policy', () => {
  const port = () => String(t.cloud.port);
  const sClient = (flag: string) => {
    const pending = run('openssl', ['s_client', '-connect', `127.0.0.1:${port()}`, flag, '-cipher', 'DEFAULT:@SECLEVEL=0'], {
      timeout: 20_000,
    });
    pending.child.stdin?.end(); // s_client ends its session when stdin closes
    return pending.then(
      ({ stdout, stderr }) => ({ ok: true, out: stdout + stderr }),
      (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
  };

  it('refuses TLS 1.0 and 1.1 with a protocol_version alert', async () => {
    for (const flag of ['-tls1', '-tls1_1']) {
      const result = await sClient(flag);
      expect(result.ok, flag).toBe(false);
      expect(result.out, flag).toMatch(/alert protocol version|protocol version|unsupported protocol/i);
    }
  });

  it('accepts TLS 1.2 and negotiates TLS 1.3 by default', async () => {
    expect((await sClient('-tls1_2')).out).toMatch(/Protocol\s*:\s*TLSv1\.2|TLSv1\.2/);
    const negotiated = await new Promise<string | null>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: t.cloud.port, ca: t.ca, servername: 'localhost' }, () => {
        resolve(socket.getProtocol());
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(negotiated).toBe('TLSv1.3');
  });
});

describe('a reconnect storm', () => {
  it('is queued by the kernel, not dropped: the listening socket holds up to 4096 connections not yet accepted', async () => {
    const port = new URL(t.cloud.url).port;
    // ss shows a listening socket's backlog as its Send-Q; the kernel caps it at net.core.somaxconn
    const { stdout } = await run('ss', ['-Hltn', `sport = :${port}`]);
    const [, , sendQ] = stdout.trim().split(/\s+/);
    const somaxconn = Number((await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim());
    expect(Number(sendQ)).toBe(Math.min(4096, somaxconn));
  });
});
