import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanChildEnv, freePort, startProcess } from '@multiclaw-lab/kit';
import { freshDatabase } from '@multiclaw-lab/kit/testing';
import { createLabCA } from '@multiclaw-lab/pki';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('process entry (src/main.ts)', () => {
  it('starts from environment variables and key files, logs ready, serves, and stops cleanly on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloud-main-'));
    const ca = await createLabCA();
    const leaf = await ca.issue(['localhost', '127.0.0.1']);
    const masterKey = randomBytes(32);
    const files = {
      CLOUD_TLS_CERT_FILE: ['cert.pem', leaf.certPem],
      CLOUD_TLS_KEY_FILE: ['key.pem', leaf.keyPem],
      CLOUD_TOKEN_SECRET_FILE: ['token.key', randomBytes(32)],
      CLOUD_MASTER_KEY_FILE: ['master.key', `${masterKey.toString('hex')}\n`],
      CLOUD_TURN_SECRET_FILE: ['turn.secret', 'turn-shared-secret\n'],
    } as const;
    const env: Record<string, string> = {};
    for (const [variable, [name, content]] of Object.entries(files)) {
      const path = join(dir, name);
      await writeFile(path, content, { mode: 0o600 });
      env[variable] = path;
    }
    const port = await freePort();
    await using cloud = await startProcess({
      name: 'cloud',
      command: process.execPath,
      args: [MAIN],
      env: cleanChildEnv({
        ...env,
        DATABASE_URL: await freshDatabase('cloud_main'),
        CLOUD_PORT: String(port),
        CLOUD_TURN_URLS: 'turn:turn.multiclaw.test:3478, turns:turn.multiclaw.test:443',
        CLOUD_BCRYPT_COST: '4',
        CLOUD_LOCKOUT_MAX_FAILURES: '2',
        CLOUD_LOCKOUT_WINDOW_SECONDS: '600',
        CLOUD_LOCKOUT_SECONDS: '77',
      }),
    });
    expect(cloud.ready).toMatchObject({ event: 'ready', port, url: `https://127.0.0.1:${port}` });
    const health = await fetchJson(`https://127.0.0.1:${port}/healthz`, ca.certPem);
    expect(health).toEqual({ status: 'ok', version: expect.any(String) });
    // the lockout thresholds come from CLOUD_LOCKOUT_*: the 2nd failure locks for 77 s
    const email = 'lockout@example.test';
    const post = (path: string, body: unknown) => fetchJson(`https://127.0.0.1:${port}${path}`, ca.certPem, body);
    await post('/v1/auth/sign-up', { email, password: 'correct horse battery', name: 'L' });
    expect(await post('/v1/auth/sign-in', { email, password: 'wrong password 1' })).toMatchObject({
      error: { code: 'invalid_credentials' },
    });
    expect(await post('/v1/auth/sign-in', { email, password: 'wrong password 2' })).toMatchObject({
      error: { code: 'account_locked', retryAfterSeconds: 77 },
    });
    await cloud.stop();
    expect(cloud.exitCode).toBe(0);
    expect(cloud.jsonLines().some((l) => l.event === 'stopped')).toBe(true);
  });

  it('refuses to start without its configuration and says which variable is missing', async () => {
    const cloud = await startProcess({
      name: 'cloud',
      command: process.execPath,
      args: [MAIN],
      env: cleanChildEnv(),
      waitForReady: false,
    });
    const { code } = await cloud.waitForExit();
    expect(code).toBe(2);
    expect(cloud.jsonLines().find((l) => l.event === 'config.missing')?.variable).toBe('DATABASE_URL');
  });
});

async function fetchJson(url: string, ca: string, body?: unknown): Promise<unknown> {
  const { request } = await import('node:https');
  const options = body === undefined ? { ca } : { ca, method: 'POST', headers: { 'content-type': 'application/json' } };
  return new Promise((resolve, reject) => {
    request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    })
      .on('error', reject)
      .end(body === undefined ? undefined : JSON.stringify(body));
  });
}
