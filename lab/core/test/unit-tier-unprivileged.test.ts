import { execFile, execFileSync } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The unit tier's promise that it needs no root, kept by running it: as root, the whole unit tier
 * runs again as `nobody` (setpriv); as anyone else, as that user. Its config is loaded by Node
 * itself (`--configLoader native`) and its report goes to a temp folder, because an unprivileged
 * user may not write into the checkout. Needs nobody to be able to read the checkout; a clone in
 * a 0700 folder cannot be, and the test then says so in its title (the CI unit job still runs the
 * tier as an ordinary user).
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const isRoot = process.getuid?.() === 0;
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

function nobodyCanRead(): boolean {
  if (!isRoot) return true;
  try {
    execFileSync('setpriv', [...NOBODY, 'test', '-r', join(ROOT, 'vitest.tiers.ts')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const readable = nobodyCanRead();
const who = isRoot ? 'nobody' : `uid ${process.getuid?.()}`;
const title = readable
  ? `the unit tier passes as ${who}, not root`
  : `the unit tier as nobody (SKIPPED: nobody cannot read ${ROOT}; the CI unit job runs the tier unprivileged)`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('unit tier without root', () => {
  it.skipIf(!readable)(
    title,
    async () => {
      const out = await mkdtemp(join(tmpdir(), 'mclab-unit-nobody-'));
      dirs.push(out);
      if (isRoot) await chown(out, 65534, 65534);
      const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
      const junit = join(out, 'junit.xml');
      const args = [
        vitest,
        'run',
        '--configLoader',
        'native',
        '--project',
        'unit',
        '--reporter=junit',
        `--outputFile.junit=${junit}`,
      ];
      // a clean environment: nothing of this (root) vitest worker leaks into the inner run
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: out, TMPDIR: out };
      const [command, argv] = isRoot
        ? ['setpriv', [...NOBODY, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, ...args]]
        : [process.execPath, args];
      const outcome = await run(command, argv, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 }).then(
        () => 'exit 0',
        (err: { code?: number; stdout?: string; stderr?: string }) => `exit ${err.code}: ${err.stderr ?? ''}`.slice(0, 4000),
      );
      const xml = await readFile(junit, 'utf8').catch(() => '');
      const totals = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)"/.exec(xml);
      const failed = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"[^>]*>\s*<failure/g)].map(
        (m) => `${m[1]} > ${m[2]}`,
      );
      expect({ outcome, failed }, 'run `pnpm test:unit` as root too: a test that fails only here depends on root').toEqual({
        outcome: 'exit 0',
        failed: [],
      });
      expect(Number(totals?.[1])).toBeGreaterThan(0);
      expect([totals?.[2], totals?.[3]]).toEqual(['0', '0']);
    },
    300_000,
  );
});
