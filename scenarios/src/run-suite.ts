/**
 * What `pnpm lab run` does on a running lab: pick scenarios by id or tag (and, with a shard,
 * this machine's part of them), run them one after the other, scan for planted secrets, write reports/<run-id>/ and reports/latest/.
 */
import type { Lab } from '@multiclaw-lab/core';
import { loadClaims } from './claims.ts';
import type { RunResults } from './model.ts';
import { writeReport } from './report/index.ts';
import { ScenarioRunner } from './runner.ts';
import { type Shard, shardOf } from './shard.ts';
import { selectScenarios } from './suite.ts';
import type { RunSummary } from './summary.ts';

export interface RunSuiteOptions {
  ids?: string[];
  tags?: string[];
  seed?: number;
  /** run only this part of the selection (`lab run --shard i/n`) */
  shard?: Shard;
  reportsDir: string;
  onProgress?: (text: string) => void;
}

export interface SuiteOutcome {
  results: RunResults;
  summary: RunSummary;
}

export function summarize(results: RunResults, runDir: string): RunSummary {
  const scenarios = (status: string) => results.scenarios.filter((s) => s.status === status).length;
  const claims = (status: string) => results.claims.filter((c) => c.status === status).length;
  return {
    runDir,
    passed: scenarios('passed'),
    failed: scenarios('failed'),
    skipped: scenarios('skipped'),
    canaryHits: results.canary.hits.length,
    seed: results.seed,
    ...(results.shard ? { shard: results.shard } : {}),
    claims: {
      verified: claims('verified'),
      failed: claims('failed'),
      untested: claims('untested'),
      untestable: claims('untestable'),
    },
    failures: results.scenarios
      .filter((s) => s.status === 'failed')
      .map((s) => ({ id: s.id, message: s.error?.message ?? 'failed' })),
  };
}

export async function runSuite(lab: Lab, options: RunSuiteOptions): Promise<SuiteOutcome> {
  const selected = selectScenarios({
    ...(options.ids ? { ids: options.ids } : {}),
    ...(options.tags ? { tags: options.tags } : {}),
  });
  const { shard } = options;
  const scenarios = shard ? shardOf(selected, shard) : selected;
  const runner = await ScenarioRunner.create(lab, {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const part = shard ? ` of ${selected.length} selected, shard ${shard.index}/${shard.total}` : '';
  options.onProgress?.(`running ${scenarios.length} scenarios${part} (seed ${runner.seed})`);
  for (const scenario of scenarios) await runner.run(scenario);
  const results: RunResults = {
    ...(await runner.finish(loadClaims())),
    ...(shard ? { shard: { index: shard.index, total: shard.total, selected: selected.length } } : {}),
  };
  const { runDir } = await writeReport(results, { reportsDir: options.reportsDir, evidenceDir: runner.evidenceDir });
  return { results, summary: summarize(results, runDir) };
}
