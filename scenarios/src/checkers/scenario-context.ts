/**
 * A checker that drives the lab the way a scenario does (accounts, desktops, checks bound to
 * claims, evidence) gets a ScenarioContext of its own from the run, and its outcome maps onto a
 * checker's: a failed check is a failure, a missing basis is "not enough evidence" — never a pass.
 */
import { ClaimCheckFailed, type ScenarioContext } from '../context.ts';
import type { CheckerContext, CheckerResult } from './checker.ts';

/** Thrown when what a checker was to judge is not there (an empty capture, say): not a pass, not a failure. */
export class NotEnoughEvidence extends Error {
  override readonly name = 'NotEnoughEvidence';
}

export async function runWithScenarioContext(
  ctx: CheckerContext,
  id: string,
  claims: readonly string[],
  judge: (scenario: ScenarioContext) => Promise<string>,
): Promise<Omit<CheckerResult, 'id' | 'title' | 'claims' | 'durationMs'>> {
  if (!ctx.scenarioContext) {
    return {
      status: 'skipped',
      summary: 'this run gives checkers no scenario context',
      findings: [],
      evidence: [],
      reason: 'no scenario context',
    };
  }
  const scenario = ctx.scenarioContext(id, claims);
  let outcome: Omit<CheckerResult, 'id' | 'title' | 'claims' | 'durationMs' | 'evidence'>;
  try {
    outcome = { status: 'passed', summary: await judge(scenario), findings: [] };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof NotEnoughEvidence)
      outcome = { status: 'not-enough-evidence', summary: message, findings: [], reason: message };
    else if (err instanceof ClaimCheckFailed)
      outcome = {
        status: 'failed',
        summary: `${err.step}: failed`,
        findings: [{ target: err.step, message, severity: 'check failed', claims: [...err.claims] }],
      };
    else outcome = { status: 'failed', summary: `could not judge: ${message}`, findings: [{ target: id, message }] };
  }
  const cleanup = await scenario.close();
  if (cleanup.length > 0 && outcome.status === 'passed') {
    outcome = { status: 'failed', summary: 'cleanup failed', findings: cleanup.map((e) => ({ target: id, message: e.message })) };
  }
  return { ...outcome, evidence: scenario.evidence };
}
