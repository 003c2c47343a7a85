import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The tree type-checks, lints clean, and keeps lab traffic inside 198.18.0.0/15 and loopback. */
describe('repository health', () => {
  it('type-checks (tsc, strict)', async () => {
    const result = await run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], {
      cwd: root,
    }).catch((err: { stdout: string }) => err);
    expect(result.stdout).toBe('');
  });

  it('lints and is formatted (biome)', async () => {
    const result = await run(process.execPath, [`${root}/node_modules/@biomejs/biome/bin/biome`, 'check', '.'], {
      cwd: root,
    }).catch((err: { stdout: string; stderr: string }) => ({ ...err, failed: true }));
    expect('failed' in result ? `${result.stdout}\n${result.stderr}` : '').toBe('');
  });

  it('names no private-range address in tracked files', async () => {
    const pattern = String.raw`\b(10\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|172\.(1[6-9]|2[0-9]|3[01])\.[0-9]{1,3}\.[0-9]{1,3}|192\.168\.[0-9]{1,3}\.[0-9]{1,3})\b`;
    const result = await run('git', ['grep', '-nE', pattern, '--', ':!*lock*'], { cwd: root }).catch(
      (err: { code: number; stdout: string }) => err,
    );
    // git grep exits 1 when nothing matches
    expect('code' in result ? result.code : 0).toBe(1);
  });
});
