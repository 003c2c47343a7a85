import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';

/** A worker's metrics after recording `values` into reconnect_ms and counting them. */
function worker(values: number[], extra: (m: Metrics) => void = () => undefined) {
  const m = new Metrics();
  for (const v of values) {
    m.record('reconnect_ms', v);
    m.add('reconnected');
  }
  extra(m);
  return m.encode();
}

describe('load metrics', () => {
  it('merges histograms exactly: the percentiles of the whole, not averages of the workers’ percentiles', () => {
    // worker A: 99 fast reconnects; worker B: one slow one. The whole's p99 is fast, its max slow;
    // averaging the workers' p99s (10 and 5000) would say 2505.
    const fast = Array.from({ length: 99 }, () => 10);
    const whole = new Metrics();
    whole.merge(worker(fast));
    whole.merge(worker([5000]));
    const s = whole.summary();
    expect(s.histograms.reconnect_ms).toMatchObject({ count: 100, min: 10, p50: 10, p99: 10 });
    // HdrHistogram keeps 3 significant digits: the max is 5000 to within 0.1 %
    expect(Math.abs(s.histograms.reconnect_ms!.max - 5000) / 5000).toBeLessThan(0.001);
    expect(s.counters.reconnected).toBe(100);
  });

  it('keeps values to 3 significant digits across the JSON a worker sends', () => {
    const whole = new Metrics();
    whole.merge(JSON.parse(JSON.stringify(worker([1234, 98_765, 0]))));
    const h = whole.summary().histograms.reconnect_ms!;
    expect(h.min).toBe(0);
    // within 0.1 % (3 significant digits)
    expect(Math.abs(h.max - 98_765) / 98_765).toBeLessThan(0.001);
    expect(Math.abs(whole.percentile('reconnect_ms', 50)! - 1234) / 1234).toBeLessThan(0.001);
  });

  it('refuses a name used as two kinds, a gauge from two measurers, and values no histogram holds', () => {
    const m = new Metrics();
    m.record('open_ms', 3);
    expect(() => m.add('open_ms')).toThrow(/open_ms is a histogram, not a counter/);
    expect(() => m.record('open_ms', -1)).toThrow(/-1 is not a value ≥ 0/);
    expect(() => m.record('Open-MS', 1)).toThrow(/lowercase words joined by _/);
    const whole = new Metrics();
    whole.merge(worker([], (w) => w.set('rss_mib', 512)));
    expect(() => whole.merge(worker([], (w) => w.set('rss_mib', 600)))).toThrow(
      expect.objectContaining({
        code: 'LAB_BAD_METRIC',
        message: expect.stringContaining('gauge rss_mib was set by two measurers'),
      }),
    );
  });
});
