/**
 * One mutant on a lab that runs with it: the scenarios that name any of its claims, in suite
 * order, until one of them fails a check of those claims; then the secret canary over what they
 * left behind. The lab is made (and taken down) by the caller, so this works on any driver.
 */
import { rm } from 'node:fs/promises';
import type { Lab } from '@multiclaw-lab/core';
import type { MutantDefinition } from '@multiclaw-lab/protocol';
import { CANARY_CLAIMS } from '../canary.ts';
import { CHECKERS, type CheckerDefinition, runCheckers } from '../checkers/index.ts';
import { loadClaims } from '../claims.ts';
import type { ScenarioDefinition } from '../define.ts';
import { ScenarioRunner } from '../runner.ts';
import { SUITE } from '../suite.ts';
import { checkerKill, checkerResultKill, killOf, mutantBase, outcomeOf, summarizeScenario } from './judge.ts';
import type { KilledBy, MutantResult, MutantScenarioRun } from './model.ts';

/** the whole-run checkers (the canary aside, which always runs) that judge one of `mutant`'s claims */
export function checkersFor(mutant: Pick<MutantDefinition, 'claims'>): CheckerDefinition[] {
  return CHECKERS.filter((c) => c.claims.some((claim) => mutant.claims.includes(claim)));
}

/** the suite's scenarios that name at least one of `mutant`'s claims, in the order the suite runs them */
export function scenariosFor(
  mutant: Pick<MutantDefinition, 'claims'>,
  suite: readonly ScenarioDefinition[] = SUITE,
): ScenarioDefinition[] {
  return suite.filter((s) => s.claims.some((c) => mutant.claims.includes(c)));
}

export async function runMutantOn(
  lab: Lab,
  mutant: MutantDefinition,
  options: { seed?: number; onProgress?: (text: string) => void } = {},
): Promise<MutantResult> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const base = mutantBase(mutant);
  const runner = await ScenarioRunner.create(lab, {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    onProgress: progress,
  });
  const runs: MutantScenarioRun[] = [];
  let killedBy: KilledBy | undefined;
  try {
    for (const scenario of scenariosFor(mutant)) {
      const result = await runner.run(scenario);
      runs.push(summarizeScenario(result));
      killedBy = killOf(mutant.claims, result);
      if (killedBy) break;
    }
    // the whole-run checkers that judge one of its claims (the egress audit sees a telemetry ping)
    const checked = killedBy ? [] : await runCheckers(checkersFor(mutant), runner.checkerContext());
    for (const result of checked) {
      const status = result.status === 'passed' || result.status === 'failed' ? result.status : 'skipped';
      runs.push({ id: `checker ${result.id}`, status, durationMs: result.durationMs, message: result.summary });
      killedBy ??= checkerResultKill(mutant.claims, result);
    }
    const run = await runner.finish(loadClaims(), checked);
    if (!killedBy && run.canary.hits.length > 0) {
      const where = run.canary.hits.map((h) => `${h.label} in ${h.file}`).join('; ');
      killedBy = checkerKill(mutant.claims, { by: 'canary', claims: CANARY_CLAIMS, message: `planted secrets found: ${where}` });
    }
  } finally {
    await rm(runner.evidenceDir, { recursive: true, force: true });
  }
  return {
    ...base,
    outcome: outcomeOf(killedBy, runs),
    ...(killedBy ? { killedBy } : {}),
    scenarios: runs,
    durationMs: Date.now() - started,
  };
}
