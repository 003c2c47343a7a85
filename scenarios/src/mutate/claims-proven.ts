/**
 * Per claim the suite calls verifiable: the mutants proven to make one of its checks fail. A
 * claim with none is listed as such, never silently: its green has not been shown able to go red.
 */
import type { Claim } from '../model.ts';
import type { MutantResult, MutationRun } from './model.ts';

/** `suiteClaims`: the testable claims some scenario of the suite names */
export function claimsProven(
  claims: readonly Claim[],
  suiteClaims: ReadonlySet<string>,
  mutants: readonly MutantResult[],
): MutationRun['claims'] {
  return claims
    .filter((c) => c.testable && suiteClaims.has(c.id))
    .map((c) => ({
      id: c.id,
      sentence: c.sentence,
      killedBy: mutants.filter((m) => m.outcome === 'killed' && m.killedBy?.claims.includes(c.id)).map((m) => m.id),
    }));
}
