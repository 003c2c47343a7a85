/**
 * What `pnpm lab mutate` produces: per mutant, whether the suite caught it, and how. Data only;
 * the judge, the runner and the report are apart.
 */
import type { ScenarioFailure, ScenarioStatus } from '../model.ts';

/**
 * killed: a check of one of the mutant's claims failed (or a whole-run checker judging one of them
 * did). survived: every scenario that names its claims passed. errored: something failed, but not a
 * check of its claims (setup, a timeout, another claim, the lab not coming up). no-scenario: no
 * scenario names any of its claims. Only `killed` is a good outcome.
 */
export type MutantOutcome = 'killed' | 'survived' | 'errored' | 'no-scenario';

export interface KilledBy {
  /** a scenario id, or a whole-run checker such as `canary` */
  by: string;
  /** the check that failed */
  step: string;
  /** the mutant's claims the failing check judges: those claims are proven able to fail */
  claims: string[];
  message: string;
}

export interface MutantScenarioRun {
  id: string;
  status: ScenarioStatus;
  durationMs: number;
  failure?: ScenarioFailure;
  message?: string;
}

export interface MutantResult {
  id: string;
  defect: string;
  components: string[];
  claims: string[];
  tags: string[];
  outcome: MutantOutcome;
  killedBy?: KilledBy;
  /** what ran, in order (the run stops at the first kill) */
  scenarios: MutantScenarioRun[];
  /** why it errored, when that was not a scenario (the lab did not come up with the mutant, say) */
  error?: string;
  durationMs: number;
}

export interface MutationRun {
  runId: string;
  startedAt: string;
  finishedAt: string;
  driver: string;
  mutants: MutantResult[];
  /** per claim the suite verifies: the mutants proven to make one of its checks fail */
  claims: Array<{ id: string; sentence: string; killedBy: string[] }>;
}
