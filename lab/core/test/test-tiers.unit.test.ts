import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, globSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { matchesGlob } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEST_FILES, TIERS, type TierName } from '../../../vitest.tiers.ts';
import { UnitTierViolation } from '../../kit/src/testing/unit-guard.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The test files vitest finds, relative to the repository root. */
function allTestFiles(): string[] {
  const files = TEST_FILES.flatMap((glob) => globSync(glob, { cwd: ROOT, exclude: (name) => name === 'node_modules' }));
  return [...new Set(files)].sort();
}

const matches = (file: string, globs: string[]) => globs.some((glob) => matchesGlob(file, glob));

function tiersOf(file: string): TierName[] {
  return (Object.keys(TIERS) as TierName[]).filter((t) => matches(file, TIERS[t].include) && !matches(file, TIERS[t].exclude));
}

describe('test tiers (vitest.tiers.ts)', () => {
  it('puts every test file in exactly one tier', () => {
    const files = allTestFiles();
    expect(files.length).toBeGreaterThan(50);
    const wrong = files.map((f) => ({ file: f, tiers: tiersOf(f) })).filter((f) => f.tiers.length !== 1);
    expect(wrong).toEqual([]);
  });

  it('names only files that exist (a renamed or removed test leaves no stale entry)', () => {
    const named = (Object.keys(TIERS) as TierName[]).flatMap((t) => TIERS[t].include).filter((g) => !/[*?[{]/.test(g));
    expect(named.filter((file) => !existsSync(`${ROOT}/${file}`))).toEqual([]);
    const globs = (Object.keys(TIERS) as TierName[]).flatMap((t) => TIERS[t].include).filter((g) => /[*?[{]/.test(g));
    // a glob of a listed family (not the `x.unit.test.ts` naming rule) must still match something
    const files = allTestFiles();
    const family = globs.filter((g) => !/\*\.(unit|lab|docker)\.test\.ts$/.test(g) && !TEST_FILES.includes(g));
    expect(family.filter((g) => !files.some((f) => matchesGlob(f, g)))).toEqual([]);
  });

  it('has the unit guard on in this tier: no child process, no socket, no UDP', async () => {
    const refused = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err instanceof UnitTierViolation ? err.message : `another error: ${String(err)}`;
      }
      return 'allowed';
    };
    expect(refused(() => spawn('true'))).toMatch(
      /^unit tier: child_process\.spawn\("true"\) is not allowed\..*is a components test/,
    );
    expect(refused(() => connect(1, '127.0.0.1'))).toMatch(/^unit tier: a socket connection to 127\.0\.0\.1:1 is not allowed/);
    expect(refused(() => createServer().listen(0, '127.0.0.1'))).toMatch(/^unit tier: listening on a socket/);
    expect(refused(() => dgram.createSocket('udp4'))).toMatch(/^unit tier: a UDP socket/);
    // fetch reaches the network through the same socket connect
    const fetched = await fetch('http://127.0.0.1:65534/').catch((err: Error) => err);
    expect(String((fetched as Error).cause ?? fetched)).toMatch(/unit tier: a socket connection/);
  });
});
