export { claimsProven } from './claims-proven.ts';
export { checkerKill, killOf, outcomeOf } from './judge.ts';
export type { KilledBy, MutantOutcome, MutantResult, MutationRun } from './model.ts';
export { mutantsSection, writeMutantsReport } from './report.ts';
export { runMutantOn, scenariosFor } from './run-mutant.ts';
export { type MutationOptions, runMutation } from './run-mutation.ts';
export { selectMutants } from './select.ts';
