/**
 * The verdict on one mutant from what its scenarios did. Pure: the same results give the same
 * verdict, so it is unit-tested apart from any lab.
 */

import type { MutantDefinition } from '@multiclaw-lab/protocol';
import type { CheckerResult } from '../checkers/checker.ts';
import type { ScenarioResult } from '../model.ts';
import type { KilledBy, MutantOutcome, MutantResult, MutantScenarioRun } from './model.ts';

export interface CheckerFailure {
  /** `canary`, `egress-audit`… */
  by: string;
  claims: readonly string[];
  message: string;
  /** the check that failed, when the checker names one */
  step?: string;
}

/** A failure that kills `claims`' mutant: a check (or checker) that judges one of them failed. */
export function killOf(
  claims: readonly string[],
  result: Pick<ScenarioResult, 'id' | 'status' | 'failure' | 'error'>,
): KilledBy | undefined {
  if (result.status !== 'failed' || result.failure?.kind !== 'check') return undefined;
  const hit = result.failure.claims.filter((c) => claims.includes(c));
  if (hit.length === 0) return undefined;
  return { by: result.id, step: result.failure.step, claims: hit, message: result.error?.message ?? '' };
}

/**
 * A failed whole-run checker kills `claims`' mutant when it judges one of them: through the claims
 * of the check that failed inside it when it names them, else through all of the checker's.
 */
export function checkerResultKill(claims: readonly string[], result: CheckerResult): KilledBy | undefined {
  if (result.status !== 'failed') return undefined;
  const first = result.findings[0];
  const message = result.findings.map((f) => `${f.target}: ${f.message}`).join('; ');
  return checkerKill(claims, {
    by: `checker ${result.id}`,
    claims: first?.claims ?? result.claims,
    message,
    step: first?.target ?? result.id,
  });
}

export function checkerKill(claims: readonly string[], failure: CheckerFailure): KilledBy | undefined {
  const hit = failure.claims.filter((c) => claims.includes(c));
  return hit.length === 0
    ? undefined
    : { by: failure.by, step: failure.step ?? failure.by, claims: hit, message: failure.message };
}

/** What a mutant's result repeats of its catalogue entry. */
export function mutantBase(mutant: MutantDefinition): Pick<MutantResult, 'id' | 'defect' | 'components' | 'claims' | 'tags'> {
  return {
    id: mutant.id,
    defect: mutant.defect,
    components: [...mutant.components],
    claims: [...mutant.claims],
    tags: [...mutant.tags],
  };
}

export function summarizeScenario(result: ScenarioResult): MutantScenarioRun {
  return {
    id: result.id,
    status: result.status,
    durationMs: result.durationMs,
    ...(result.failure ? { failure: result.failure } : {}),
    ...(result.error ? { message: result.error.message } : result.skipReason ? { message: result.skipReason } : {}),
  };
}

/** The outcome given what ran: a kill wins; any other failure or skip is an error; all passed is survival. */
export function outcomeOf(killedBy: KilledBy | undefined, runs: MutantScenarioRun[]): MutantOutcome {
  if (killedBy) return 'killed';
  if (runs.length === 0) return 'no-scenario';
  return runs.every((r) => r.status === 'passed') ? 'survived' : 'errored';
}
