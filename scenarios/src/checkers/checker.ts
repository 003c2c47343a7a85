/**
 * Whole-run checkers: judges that look at the lab or at a whole run's evidence rather than doing
 * one scenario's steps — the secret canary, the egress audit, and independent tools (testssl.sh,
 * nmap, schemathesis) that check the lab from outside so it does not only check itself. They run
 * after any selection of scenarios; a checker without enough to judge says so
 * ("not-enough-evidence") instead of passing. Definitions are data plus one function, like
 * scenarios; their results sit beside the scenarios' in the report.
 */
import type { Lab } from '@multiclaw-lab/core';
import type { ScenarioContext } from '../context.ts';
import type { Evidence } from '../model.ts';

export type CheckerStatus = 'passed' | 'failed' | 'not-enough-evidence' | 'skipped';

export interface CheckerFinding {
  /** what was looked at: an endpoint, a host:port, a route, a file */
  target: string;
  /** what is wrong (or, for an OK finding shown for context, what was seen) */
  message: string;
  /** the tool's own rating when it has one (testssl's severity, schemathesis' check name) */
  severity?: string;
  /** the claims of the check that made this finding, when narrower than the checker's */
  claims?: string[];
}

export interface CheckerResult {
  id: string;
  title: string;
  /** the claims this checker judges: a failure is a failure of these */
  claims: string[];
  status: CheckerStatus;
  durationMs: number;
  /** a line saying what was checked: "4 endpoints, 212 findings rated OK or INFO" */
  summary: string;
  /** every finding that fails the checker (empty when passed) */
  findings: CheckerFinding[];
  /**
   * findings the tool rated below OK that the checker lets through, each message saying why (the
   * lab's private CA has no revocation service, say): shown in the report, never failing
   */
  accepted?: CheckerFinding[];
  evidence: Evidence[];
  /** why it was skipped or lacked evidence */
  reason?: string;
}

export interface CheckerContext {
  lab: Lab;
  /** where evidence files go (copied into the report's evidence/ folder) */
  evidenceDir: string;
  /** the scenarios that ran in this run, by id */
  scenariosRun: readonly string[];
  onProgress: (text: string) => void;
  /**
   * a scenario's toolkit (fresh accounts, desktops, checks bound to claims, evidence, the run-wide
   * egress captures) for a checker that drives the lab; given by the scenario runner
   */
  scenarioContext?: (id: string, claims: readonly string[]) => ScenarioContext;
}

export interface CheckerDefinition {
  /** stable, kebab-case: `testssl`, `nmap`, `schemathesis`, `canary`, `egress-audit` */
  id: string;
  title: string;
  claims: string[];
  /** default 300 s */
  timeoutMs?: number;
  run(ctx: CheckerContext): Promise<Omit<CheckerResult, 'id' | 'title' | 'claims' | 'durationMs'>>;
}

export function defineChecker(definition: CheckerDefinition): CheckerDefinition {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(definition.id)) throw new Error(`checker id ${definition.id} must be kebab-case`);
  if (definition.claims.length === 0) throw new Error(`checker ${definition.id} must name the claims it judges`);
  return definition;
}
