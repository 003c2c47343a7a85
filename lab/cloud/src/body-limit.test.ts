import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

const run = promisify(execFile);
let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(() => t?.cloud.close());

/**
 * A client that sends too much must learn why: a 413 with the JSON error body, read in full,
 * whatever the size and however the body is framed — never a connection reset mid-upload.
 */
describe('an oversized REST body', () => {
  const sizes = { 'just over the limit': 256 * 1024 + 1, 'many times the limit': 8 * 1024 * 1024 };
  for (const [label, size] of Object.entries(sizes)) {
    for (const framing of ['content-length', 'chunked'] as const) {
      it(`${label}, ${framing}: 413 payload_too_large with a clear JSON error`, async () => {
        const body = `{"email":"${'x'.repeat(size)}","password":"p"}`;
        const headers: Record<string, string> = framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : {};
        const res = await t.http('POST', '/v1/auth/sign-in', { raw: body, headers });
        expect(res.status, res.text).toBe(413);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body.error.code).toBe('payload_too_large');
        expect(res.body.error.message).toMatch(/too large/);
      });
    }
  }

  it('answers curl uploads still being sent when refused, every time, instead of a broken pipe', async () => {
    // curl sends the body while the cloud already refuses it; without reading the rest first, a
    // few in forty lost the answer ("Send failure: Broken pipe")
    const dir = await mkdtemp(join(tmpdir(), 'body-limit-'));
    try {
      await writeFile(join(dir, 'big.json'), `{"email":"${'x'.repeat(8 * 1024 * 1024)}"}`);
      await writeFile(join(dir, 'ca.pem'), t.ca);
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++) {
        const args = ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(dir, 'ca.pem')];
        args.push(
          '-H',
          'content-type: application/json',
          '--data-binary',
          `@${join(dir, 'big.json')}`,
          `${t.cloud.url}/v1/auth/sign-in`,
        );
        outcomes.push(
          await run('curl', args).then(
            (r) => r.stdout,
            (err: { stderr?: string }) => `failed: ${err.stderr?.trim()}`,
          ),
        );
      }
      expect(outcomes.filter((o) => o !== '413')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('leaves the server serving the next request', async () => {
    expect((await t.http('GET', '/healthz')).status).toBe(200);
  });
});
