/**
 * What `pnpm lab run` does on a running lab: pick scenarios by id or tag (and, with a shard,
 * this machine's part of them), run them one after the other, scan for planted secrets, run the
 * whole-run checkers (testssl, nmap, schemathesis), write reports/<run-id>/ and reports/latest/.
 */
import type { Lab } from '@multiclaw-lab/core';
import { runCheckers, selectCheckers } from './checkers/index.ts';
import { loadClaims } from './claims.ts';
import type { RunResults } from './model.ts';
import { latestMutationRun } from './mutate/latest.ts';
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
  /**
   * the whole-run checkers to run after the scenarios, by id: all of them when left out, none
   * with []. With a shard, only shard 1 runs them (they look at the lab, not at the scenarios).
   */
  checkers?: readonly string[];
  /** false: run no scenario, only the checkers (`lab run --checkers-only`) */
  scenarios?: false;
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
    checkersFailed: (results.checkers ?? []).filter((c) => c.status === 'failed').length,
    seed: results.seed,
    ...(results.shard ? { shard: results.shard } : {}),
    claims: {
      verified: claims('verified'),
      failed: claims('failed'),
      untested: claims('untested'),
      untestable: claims('untestable'),
      contradiction: claims('contradiction'),
    },
    failures: [
      ...results.scenarios.filter((s) => s.status === 'failed').map((s) => ({ id: s.id, message: s.error?.message ?? 'failed' })),
      ...(results.checkers ?? [])
        .filter((c) => c.status === 'failed')
        .map((c) => ({ id: `checker ${c.id}`, message: c.summary })),
    ],
  };
}

export async function runSuite(lab: Lab, options: RunSuiteOptions): Promise<SuiteOutcome> {
  const selected =
    options.scenarios === false
      ? []
      : selectScenarios({
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
  const checkers = shard && shard.index !== 1 ? [] : selectCheckers(options.checkers);
  for (const scenario of scenarios) await runner.run(scenario);
  // the checkers run while the run's captures still record (the egress audit reads them); the
  // canary comes last, so it also scans what the checkers left
  const checked = await runCheckers(checkers, runner.checkerContext());
  const results: RunResults = {
    ...(await runner.finish(loadClaims(), checked)),
    ...(shard ? { shard: { index: shard.index, total: shard.total, selected: selected.length } } : {}),
  };
  const mutation = await latestMutationRun(options.reportsDir);
  const { runDir } = await writeReport(results, {
    reportsDir: options.reportsDir,
    evidenceDir: runner.evidenceDir,
    ...(mutation ? { mutation } : {}),
  });
  return { results, summary: summarize(results, runDir) };
}
