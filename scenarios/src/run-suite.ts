import type { Lab } from '@multiclaw-lab/core';
import { loadClaims } from './claims.ts';
import type { RunResults } from './model.ts';
import { writeReport } from './report/index.ts';
import { ScenarioRunner } from './runner.ts';
import { selectScenarios } from './suite.ts';

/**
 * What `pnpm lab run` does on a running lab: pick scenarios by id or tag, run them one after the
 * other, scan for planted secrets, write reports/<run-id>/ and reports/latest/.
 */
export interface RunSuiteOptions {
  ids?: string[];
  tags?: string[];
  seed?: number;
  reportsDir: string;
  onProgress?: (text: string) => void;
}

export interface SuiteOutcome {
  results: RunResults;
  runDir: string;
  passed: number;
  failed: number;
  skipped: number;
  /** secrets found in plaintext */
  canaryHits: number;
}

export async function runSuite(lab: Lab, options: RunSuiteOptions): Promise<SuiteOutcome> {
  const scenarios = selectScenarios({
    ...(options.ids ? { ids: options.ids } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
  });
  const runner = await ScenarioRunner.create(lab, {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  options.onProgress?.(`running ${scenarios.length} scenarios (seed ${runner.seed})`);
  for (const scenario of scenarios) await runner.run(scenario);
  const results = await runner.finish(loadClaims());
  const { runDir } = await writeReport(results, { reportsDir: options.reportsDir, evidenceDir: runner.evidenceDir });
  const count = (status: string) => results.scenarios.filter((s) => s.status === status).length;
  return {
    results,
    runDir,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    canaryHits: results.canary.hits.length,
  };
}
