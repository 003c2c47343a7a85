import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lab, startLab } from '@multiclaw-lab/core';
import { dockerDriver } from '@multiclaw-lab/docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClaims } from '../src/claims.ts';
import { TAGS } from '../src/define.ts';
import type { RunResults } from '../src/model.ts';
import { writeReport } from '../src/report/index.ts';
import { ScenarioRunner } from '../src/runner.ts';
import { SUITE } from '../src/suite.ts';

/**
 * Scenarios on a docker lab: at least one of every tag, chosen so the docker driver's own
 * machinery is exercised (link faults through toxiproxy on a router container, a process killed
 * inside its container, clocks, DPI, the relay on 443). The whole suite on docker is
 * `pnpm lab run --driver docker`; its report lands in reports/docker-sample/ so it never
 * replaces the netns suite's reports/latest/.
 */
const SAMPLE = ['S01-', 'S03-', 'S10-', 'S16-', 'S17-', 'S22-'];
const scenarios = SUITE.filter((s) => SAMPLE.some((prefix) => s.id.startsWith(prefix)));
const REPORTS = fileURLToPath(new URL('../../reports/docker-sample', import.meta.url));
let lab: Lab;
let runner: ScenarioRunner;
let results: RunResults | undefined;

beforeAll(async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-docker-sample-'));
  await chmod(stateDir, 0o755);
  lab = await startLab({ prefix: `d${randomBytes(3).toString('hex')}`, stateDir, desktops: 3, driver: dockerDriver });
  runner = await ScenarioRunner.create(lab);
}, 600_000);

afterAll(async () => {
  if (results) await writeReport(results, { reportsDir: REPORTS, evidenceDir: runner.evidenceDir });
  await lab?.down();
}, 120_000);

describe('scenario sample (docker lab)', () => {
  it('covers every tag of the suite', () => {
    expect(scenarios.map((s) => s.id.slice(0, 4))).toEqual(SAMPLE);
    expect(TAGS.filter((tag) => !scenarios.some((s) => s.tags.includes(tag)))).toEqual([]);
  });

  it('runs on the docker driver', () => {
    expect(lab.driver.name).toBe('docker');
  });

  for (const scenario of scenarios) {
    it(
      `${scenario.id}: ${scenario.title}`,
      async () => {
        const result = await runner.run(scenario);
        expect(result.skipReason).toBeUndefined();
        if (result.status === 'failed') {
          const err = new Error(`${result.error?.message} (seed ${result.seed})`);
          if (result.error?.stack) err.stack = result.error.stack;
          throw err;
        }
      },
      (scenario.timeoutMs ?? 120_000) + 60_000,
    );
  }

  it('secret canary: no planted key or password in any log, capture, host file or the database', async () => {
    results = await runner.finish(loadClaims());
    expect(results.driver).toBe('docker');
    expect(results.canary.planted).toBeGreaterThan(0);
    expect(results.canary.hits).toEqual([]);
  }, 120_000);
});
