/**
 * Pass/fail thresholds over a load run's metrics, as a load-testing tool has them:
 *
 *   p99(reconnect_ms) < 1500      a percentile (p50, p99, p99.9 — any 0–100) of a histogram
 *   max(rss_mib) <= 2048          min, max, mean or count of a histogram
 *   lost_updates == 0             a counter or a gauge by its name
 *
 * Operators < <= > >= == !=; numbers may carry _ between digits (20_000). A threshold whose
 * metric the run never produced, or that asks a counter for a percentile, fails with the reason:
 * a threshold that cannot be judged never passes.
 */
import { LabError } from '@multiclaw-lab/kit';
import type { Metrics } from './metrics.ts';

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type Aggregate = { kind: 'percentile'; percentile: number } | { kind: 'min' | 'max' | 'mean' | 'count' };

export interface Threshold {
  /** as written */
  source: string;
  metric: string;
  /** absent: the metric's own value (a counter or gauge) */
  aggregate?: Aggregate;
  op: Comparison;
  value: number;
}

export interface ThresholdOutcome {
  threshold: string;
  passed: boolean;
  /** what the run measured (absent when nothing could be) */
  actual?: number;
  /** why it failed without a comparison */
  reason?: string;
}

export class ThresholdError extends LabError {
  constructor(source: string, at: number, problem: string) {
    super('LAB_BAD_THRESHOLD', `threshold ${JSON.stringify(source)}: ${problem} (at character ${at + 1})`, {
      hint: 'write AGGREGATE(metric) OP number or metric OP number, e.g. p99(reconnect_ms) < 1500 or lost_updates == 0',
    });
  }
}

const GRAMMAR =
  /^\s*(?:(?<agg>p\d{1,2}(?:\.\d+)?|p100|min|max|mean|count)\s*\(\s*(?<inner>[a-z][a-z0-9_]*)\s*\)|(?<bare>[a-z][a-z0-9_]*))\s*(?<op><=|>=|==|!=|<|>)\s*(?<num>-?\d(?:_?\d)*(?:\.\d+)?)\s*$/;

function aggregateOf(word: string): Aggregate {
  if (word.startsWith('p')) return { kind: 'percentile', percentile: Number(word.slice(1)) };
  return { kind: word as 'min' | 'max' | 'mean' | 'count' };
}

/** Where a threshold stops making sense, for the message. */
function firstProblem(source: string): { at: number; problem: string } {
  const head = /^\s*([a-z][a-z0-9_.]*)/.exec(source);
  if (!head) return { at: source.search(/\S|$/), problem: 'it starts with neither a metric nor an aggregate' };
  let at = head[0].length;
  if (source[at] === '(' || /^\s*\(/.test(source.slice(at))) {
    const word = head[1]!;
    if (!/^(p\d{1,2}(\.\d+)?|p100|min|max|mean|count)$/.test(word))
      return {
        at: head.index + head[0].length - word.length,
        problem: `${word} is no aggregate (p50…p99.9, min, max, mean, count)`,
      };
    const close = source.indexOf(')', at);
    if (close < 0) return { at: source.length, problem: 'the aggregate’s ( is never closed' };
    at = close + 1;
  }
  const op = /^\s*(<=|>=|==|!=|<|>)/.exec(source.slice(at));
  if (!op) return { at: at + source.slice(at).search(/\S|$/), problem: 'an operator (< <= > >= == !=) should come here' };
  at += op[0].length;
  const rest = source.slice(at).trim();
  return { at, problem: rest ? `${JSON.stringify(rest)} is not a number` : 'a number should come after the operator' };
}

export function parseThreshold(source: string): Threshold {
  const m = GRAMMAR.exec(source);
  if (!m?.groups) {
    const { at, problem } = firstProblem(source);
    throw new ThresholdError(source, at, problem);
  }
  const { agg, inner, bare, op, num } = m.groups;
  const aggregate = agg ? aggregateOf(agg) : undefined;
  return {
    source: source.trim(),
    metric: (inner ?? bare)!,
    ...(aggregate ? { aggregate } : {}),
    op: op as Comparison,
    value: Number(num!.replaceAll('_', '')),
  };
}

function compare(actual: number, op: Comparison, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** What the run measured for the threshold's left side, or why nothing can be. */
function measured(t: Threshold, metrics: Metrics): { actual: number } | { reason: string } {
  const kind = metrics.kindOf(t.metric);
  if (!kind) return { reason: `the run measured no ${t.metric}` };
  const summary = metrics.summary();
  if (!t.aggregate) {
    if (kind === 'histogram') return { reason: `${t.metric} is a histogram: name an aggregate, e.g. p99(${t.metric})` };
    return { actual: kind === 'counter' ? summary.counters[t.metric]! : summary.gauges[t.metric]! };
  }
  if (kind !== 'histogram') return { reason: `${t.metric} is a ${kind}: it has no ${t.source.split('(')[0]!.trim()}` };
  const h = summary.histograms[t.metric]!;
  if (h.count === 0) return { reason: `${t.metric} recorded nothing` };
  if (t.aggregate.kind === 'percentile') return { actual: metrics.percentile(t.metric, t.aggregate.percentile)! };
  return { actual: h[t.aggregate.kind] };
}

export function judgeThreshold(t: Threshold, metrics: Metrics): ThresholdOutcome {
  const m = measured(t, metrics);
  if ('reason' in m) return { threshold: t.source, passed: false, reason: m.reason };
  return { threshold: t.source, passed: compare(m.actual, t.op, t.value), actual: m.actual };
}
