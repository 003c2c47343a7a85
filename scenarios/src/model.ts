/**
 * The data the scenario suite produces and the report reads: claims (what MultiClaw's pages
 * promise), scenario results (what was done and seen), and a run (both, plus the secret canary
 * scan). Definitions are data; the runner and the report generator are implementations apart.
 */
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
  /** why it was skipped */
  skipReason?: string;
  metrics: Metric[];
  timeline: TimelineEntry[];
  evidence: Evidence[];
}

export type ClaimStatus = 'verified' | 'failed' | 'untested' | 'untestable';

export interface ClaimResult {
  id: string;
  page: Page;
  section: string;
  sentence: string;
  status: ClaimStatus;
  /** for untestable claims */
  reason?: string;
  /** scenario ids that name this claim */
  scenarios: string[];
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
}

/**
 * Joins claims with scenario outcomes. A claim is verified only when every scenario of the run
 * that names it ran and passed: one that failed makes it failed, and one that was skipped (a lab
 * too small for it, say) leaves it untested however many others passed.
 */
export function claimResults(claims: Claim[], scenarios: ScenarioResult[]): ClaimResult[] {
  return claims.map((c) => {
    const behind = scenarios.filter((s) => s.claims.includes(c.id));
    const base = { id: c.id, page: c.page, section: c.section, sentence: c.sentence, scenarios: behind.map((s) => s.id) };
    if (!c.testable) return { ...base, status: 'untestable', reason: c.reason };
    if (behind.some((s) => s.status === 'failed')) return { ...base, status: 'failed' };
    if (behind.length > 0 && behind.every((s) => s.status === 'passed')) return { ...base, status: 'verified' };
    return { ...base, status: 'untested' };
  });
}
