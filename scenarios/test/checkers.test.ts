import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Lab, startLab } from '@multiclaw-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKERS, runChecker } from '../src/checkers/index.ts';

/**
 * The whole-run checkers on a fresh netns lab, as `pnpm lab run` runs them after the scenarios:
 * independent tools (testssl.sh, nmap, schemathesis) must find the lab as the pages describe it.
 * LAB_FUZZ_REQUESTS makes schemathesis' share quicker (10,000 requests by default).
 */
let lab: Lab;
let evidenceDir: string;

beforeAll(async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-checkers-'));
  await chmod(stateDir, 0o755);
  evidenceDir = await mkdtemp(join(tmpdir(), 'mclab-checkers-evidence-'));
  const prefix = process.env.LAB_PREFIX ?? `k${randomBytes(3).toString('hex')}`;
  lab = await startLab({ prefix, stateDir, desktops: 1 });
}, 240_000);

afterAll(async () => {
  await lab?.down();
}, 120_000);

describe('whole-run checkers (netns lab)', () => {
  // the egress audit judges a run's captures: it runs after the suite's scenarios (suite.test.ts)
  for (const checker of CHECKERS.filter((c) => c.id !== 'egress-audit')) {
    it(
      `${checker.id}: ${checker.title}`,
      async () => {
        const result = await runChecker(checker, {
          lab,
          evidenceDir,
          scenariosRun: [],
          onProgress: (text) => process.stderr.write(`${text}\n`),
        });
        expect(result.findings, result.summary).toEqual([]);
        expect(result.status, result.reason ?? result.summary).toBe('passed');
        expect(result.evidence.length).toBeGreaterThan(0);
      },
      (checker.timeoutMs ?? 300_000) + 30_000,
    );
  }
});
