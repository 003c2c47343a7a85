/**
 * The data the scenario suite produces and the report reads: claims (what MultiClaw's pages
 * promise), scenario results (what was done and seen), and a run (both, plus the secret canary
 * scan). Definitions are data; the runner and the report generator are implementations apart.
 */
import type { CheckerResult } from './checkers/checker.ts';

export const PAGES = ['security-overview', 'credentials-and-secrets', 'data-encryption', 'network-security'] as const;
export type Page = (typeof PAGES)[number];

interface ClaimBase {
  /** stable id, e.g. "NS-07"; never reused for another sentence */
  id: string;
  page: Page;
  /** the heading the sentence stands under */
  section: string;
  /** the exact sentence (or table row) from the page */
  sentence: string;
}
export type Claim = (ClaimBase & { testable: true }) | (ClaimBase & { testable: false; reason: string });

export type ScenarioStatus = 'passed' | 'failed' | 'skipped';

export interface TimelineEntry {
  /** ISO time */
  time: string;
  /** 'scenario' for the scenario's own steps, else the service id whose log line this is */
  source: string;
  event: string;
  /** the rest of the log line / step fields (secrets already redacted by the loggers) */
  fields: Record<string, unknown>;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
}

export interface Evidence {
  name: string;
  /** path relative to the run's report folder */
  path: string;
  kind: 'pcap' | 'log' | 'json' | 'text' | 'png';
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: ScenarioStatus;
  durationMs: number;
  claims: string[];
  tags: string[];
  needs: string[];
  seed: number;
  error?: { message: string; stack?: string };
  /**
   * How a failed scenario failed: a check of the named claims; before or outside every check
   * (setup: the scenario never got to judge anything); out of time; or it passed all its checks
   * but some claim it declares was never checked.
   */
  failure?: ScenarioFailure;
  /** the declared claims a check judged (a passing scenario has judged every one) */
  checked?: string[];
  /** why it was skipped */
  skipReason?: string;
  metrics: Metric[];
  timeline: TimelineEntry[];
  evidence: Evidence[];
}

export type ScenarioFailure =
  | { kind: 'check'; step: string; claims: string[] }
  | { kind: 'setup' }
  | { kind: 'timeout' }
  | { kind: 'unchecked'; claims: string[] };

export type ClaimStatus = 'verified' | 'failed' | 'untested' | 'untestable' | 'contradiction';

/** Pages that disagree: `claim` cannot be verified because the sentences of `against` say otherwise. */
export interface ContradictionInput {
  claim: string;
  against: string[];
  explanation: string;
}

export interface ClaimResult {
  id: string;
  page: Page;
  section: string;
  sentence: string;
  status: ClaimStatus;
  /** for untestable claims */
  reason?: string;
  /** for a documented contradiction: the sentences that say otherwise, and what disagrees */
  contradiction?: { against: Array<{ id: string; sentence: string }>; explanation: string };
  /** scenario ids that name this claim */
  scenarios: string[];
  /** whole-run checkers that judged it in this run */
  checkers?: string[];
}

export interface CanaryReport {
  /** how many secrets the run planted (API keys, passwords, tokens) */
  planted: number;
  /** how many files were scanned (logs, captures, database dump, host files) */
  filesScanned: number;
  /** every file that contained a planted secret in plaintext, with the secret's label */
  hits: Array<{ file: string; label: string }>;
}

export interface RunResults {
  runId: string;
  startedAt: string;
  finishedAt: string;
  driver: string;
  seed: number;
  /**
   * Set when the run was one part of a split suite (`lab run --shard i/n`): this run's scenarios
   * are that part of the `selected` ones, and its claims and canary cover only this part.
   */
  shard?: { index: number; total: number; selected: number };
  scenarios: ScenarioResult[];
  claims: ClaimResult[];
  canary: CanaryReport;
  /** the whole-run checkers that ran after the scenarios (testssl, nmap, schemathesis…) */
  checkers?: CheckerResult[];
}

/**
 * Joins claims with scenario outcomes. A claim the pages contradict elsewhere is a documented
 * contradiction, whatever its scenarios saw (they still ran: their results stay in the report). A claim is verified only when every scenario of the run
 * that names it ran and passed: one that failed makes it failed, and one that was skipped (a lab
 * too small for it, say) leaves it untested however many others passed.
 */
export function claimResults(
  claims: Claim[],
  scenarios: ScenarioResult[],
  contradictions: readonly ContradictionInput[] = [],
  checkers: readonly Pick<CheckerResult, 'id' | 'claims' | 'status'>[] = [],
): ClaimResult[] {
  return claims.map((c) => {
    // a whole-run checker that judged the claim counts like a scenario: passed, failed, or (skipped,
    // not enough evidence) leaving the claim untested
    const judges = checkers.filter((k) => k.claims.includes(c.id));
    const behind = [
      ...scenarios.filter((s) => s.claims.includes(c.id)),
      ...judges.map((k) => ({ id: k.id, status: k.status === 'passed' || k.status === 'failed' ? k.status : 'skipped' })),
    ];
    const base = {
      id: c.id,
      page: c.page,
      section: c.section,
      sentence: c.sentence,
      scenarios: behind.filter((b) => !judges.some((k) => k.id === b.id)).map((s) => s.id),
      ...(judges.length > 0 ? { checkers: judges.map((k) => k.id) } : {}),
    };
    const disagreement = contradictions.find((x) => x.claim === c.id);
    if (disagreement) {
      const against = disagreement.against.map((id) => ({ id, sentence: claims.find((o) => o.id === id)?.sentence ?? '' }));
      return { ...base, status: 'contradiction', contradiction: { against, explanation: disagreement.explanation } };
    }
    if (!c.testable) return { ...base, status: 'untestable', reason: c.reason };
    if (behind.some((s) => s.status === 'failed')) return { ...base, status: 'failed' };
    if (behind.length > 0 && behind.every((s) => s.status === 'passed')) return { ...base, status: 'verified' };
    return { ...base, status: 'untested' };
  });
}
