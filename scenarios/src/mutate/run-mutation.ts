/**
 * `pnpm lab mutate`: for each mutant, a lab made with it on (by the caller's `makeLab`, so any
 * driver works), its scenarios, the verdict; then the report. Every mutant gets a fresh lab: a
 * defect must not leak into the next one's verdict through state it left behind.
 */
import type { Lab } from '@multiclaw-lab/core';
import type { MutantDefinition } from '@multiclaw-lab/protocol';
import { CHECKERS } from '../checkers/index.ts';
import { loadClaims } from '../claims.ts';
import { SUITE } from '../suite.ts';
import { claimsProven } from './claims-proven.ts';
import { mutantBase } from './judge.ts';
import type { MutantResult, MutationRun } from './model.ts';
import { writeMutantsReport } from './report.ts';
import { runMutantOn } from './run-mutant.ts';
import { runUnitMutant } from './unit-mutant.ts';

export interface MutationOptions {
  mutants: readonly MutantDefinition[];
  /** a fresh lab whose services run with `mutant` on */
  makeLab: (mutant: MutantDefinition) => Promise<Lab>;
  reportsDir: string;
  seed?: number;
  onProgress?: (text: string) => void;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function runMutation(options: MutationOptions): Promise<{ run: MutationRun; runDir: string }> {
  const startedAt = new Date().toISOString();
  const progress = options.onProgress ?? (() => undefined);
  const results: MutantResult[] = [];
  let driver = 'unknown';
  for (const [i, mutant] of options.mutants.entries()) {
    const label = `[${i + 1}/${options.mutants.length}] ${mutant.id}`;
    progress(`${label}: ${mutant.defect}`);
    const started = Date.now();
    let result: MutantResult;
    let lab: Lab | undefined;
    if (mutant.unitTests) {
      const judged = await runUnitMutant({ ...mutant, unitTests: mutant.unitTests });
      results.push(judged);
      progress(`${label}: ${judged.outcome} by its layer's unit tests (${mutant.unitTests.join(', ')})`);
      continue;
    }
    try {
      lab = await options.makeLab(mutant);
      driver = lab.driver.name;
      result = await runMutantOn(lab, mutant, {
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        onProgress: (text) => progress(`${label}: ${text}`),
      });
    } catch (err) {
      result = {
        ...mutantBase(mutant),
        outcome: 'errored',
        error: `${lab ? 'the run' : 'the lab with this mutant'} failed: ${errorText(err)}`,
        scenarios: [],
        durationMs: Date.now() - started,
      };
    } finally {
      await lab?.down().catch((err: unknown) => progress(`${label}: taking its lab down failed: ${errorText(err)}`));
    }
    results.push(result);
    progress(`${label}: ${result.outcome}${result.killedBy ? ` by ${result.killedBy.by} (${result.killedBy.step})` : ''}`);
  }
  const suiteClaims = new Set([...SUITE.flatMap((s) => s.claims), ...CHECKERS.flatMap((c) => c.claims)]);
  const run: MutationRun = {
    runId: `${startedAt.replace(/[:.]/g, '-')}-mutants`,
    startedAt,
    finishedAt: new Date().toISOString(),
    driver,
    mutants: results,
    claims: claimsProven(loadClaims(), suiteClaims, results),
  };
  const { runDir } = await writeMutantsReport(run, options.reportsDir);
  return { run, runDir };
}
