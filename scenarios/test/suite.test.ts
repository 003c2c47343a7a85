import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lab, startLab } from '@multiclaw-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerResult } from '../src/checkers/checker.ts';
import egressAudit from '../src/checkers/egress-audit.ts';
import { runChecker } from '../src/checkers/index.ts';
import { loadClaims } from '../src/claims.ts';
import type { RunResults } from '../src/model.ts';
import { writeReport } from '../src/report/index.ts';
import { ScenarioRunner } from '../src/runner.ts';
import { SUITE } from '../src/suite.ts';

/**
 * The whole scenario suite on a fresh netns lab (two cloud instances), as `pnpm lab run` runs it: each scenario is a
 * test, then the secret canary scan is one more, and the report lands in reports/latest/.
 */
const REPORTS = fileURLToPath(new URL('../../reports', import.meta.url));
let lab: Lab;
let runner: ScenarioRunner;
let results: RunResults | undefined;

beforeAll(async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-suite-'));
  await chmod(stateDir, 0o755);
  // The cloud runs as two instances behind the load balancer, as in production: every scenario
  // must hold there too, and the scenarios about instances run. (The one-process cloud runs the
  // scenarios of the mutant sample and the docker sample.) LAB_CLOUD_INSTANCES=N changes it.
  const cloudInstances = Number(process.env.LAB_CLOUD_INSTANCES ?? 2);
  lab = await startLab({ prefix: `s${randomBytes(3).toString('hex')}`, stateDir, desktops: 3, cloudInstances });
  const seed = process.env.LAB_SEED ? Number(process.env.LAB_SEED) : undefined;
  runner = await ScenarioRunner.create(lab, seed === undefined ? {} : { seed });
}, 240_000);

afterAll(async () => {
  if (results) {
    const { runDir } = await writeReport(results, { reportsDir: REPORTS, evidenceDir: runner.evidenceDir });
    process.stderr.write(`scenario report: ${runDir}/index.html (seed ${runner.seed})\n`);
  }
  await lab?.down();
}, 120_000);

describe('scenario suite (netns lab)', () => {
  for (const scenario of SUITE) {
    it(
      `${scenario.id}: ${scenario.title}`,
      async (test) => {
        const result = await runner.run(scenario);
        if (result.status === 'skipped') test.skip(result.skipReason);
        if (result.status === 'failed') {
          const err = new Error(`${result.error?.message} (seed ${result.seed})`);
          if (result.error?.stack) err.stack = result.error.stack;
          throw err;
        }
      },
      (scenario.timeoutMs ?? 120_000) + 60_000,
    );
  }

  let egress: CheckerResult | undefined;
  it('egress audit (whole-run checker): every connection of the run went to a documented host and port, over TLS', async () => {
    egress = await runChecker(egressAudit, runner.checkerContext());
    expect(egress.findings, egress.summary).toEqual([]);
    expect(egress.status, egress.reason ?? egress.summary).toBe('passed');
  }, 330_000);

  it('secret canary: no planted key or password in any log, capture, host file or the database', async () => {
    results = await runner.finish(loadClaims(), egress ? [egress] : []);
    expect(results.canary.planted).toBeGreaterThan(0);
    expect(results.canary.filesScanned).toBeGreaterThan(10);
    expect(results.canary.hits).toEqual([]);
  }, 120_000);
});
