import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.ts';
import { judgeThreshold, parseThreshold } from './thresholds.ts';

function run(): Metrics {
  const m = new Metrics();
  for (let ms = 1; ms <= 1000; ms++) m.record('reconnect_ms', ms);
  m.add('lost_updates', 0);
  m.add('reconnected', 1000);
  m.set('rss_per_session_kib', 71.5);
  return m;
}

const judge = (source: string) => judgeThreshold(parseThreshold(source), run());

describe('thresholds', () => {
  it('reads the forms the load profiles use', () => {
    expect(parseThreshold('p99(reconnect_ms) < 1500')).toEqual({
      source: 'p99(reconnect_ms) < 1500',
      metric: 'reconnect_ms',
      aggregate: { kind: 'percentile', percentile: 99 },
      op: '<',
      value: 1500,
    });
    expect(parseThreshold('  lost_updates==0 ')).toMatchObject({ metric: 'lost_updates', op: '==', value: 0 });
    expect(parseThreshold('p99.9( reconnect_ms )>=2')).toMatchObject({ aggregate: { percentile: 99.9 }, op: '>=' });
    expect(parseThreshold('count(reconnect_ms) >= 20_000')).toMatchObject({ aggregate: { kind: 'count' }, value: 20000 });
  });

  it('passes and fails on what the run measured, saying what that was', () => {
    expect(judge('p99(reconnect_ms) < 1500')).toEqual({ threshold: 'p99(reconnect_ms) < 1500', passed: true, actual: 990 });
    expect(judge('p99(reconnect_ms) < 900')).toEqual({ threshold: 'p99(reconnect_ms) < 900', passed: false, actual: 990 });
    expect(judge('p50(reconnect_ms) <= 500')).toMatchObject({ passed: true, actual: 500 });
    // at the boundary: strict and non-strict differ
    expect(judge('p50(reconnect_ms) < 500')).toMatchObject({ passed: false, actual: 500 });
    expect(judge('p50(reconnect_ms) >= 500')).toMatchObject({ passed: true, actual: 500 });
    expect(judge('p50(reconnect_ms) > 500')).toMatchObject({ passed: false, actual: 500 });
    expect(judge('max(reconnect_ms) > 999')).toMatchObject({ passed: true, actual: 1000 });
    expect(judge('count(reconnect_ms) == 1000')).toMatchObject({ passed: true });
    expect(judge('lost_updates == 0')).toMatchObject({ passed: true, actual: 0 });
    expect(judge('lost_updates != 0')).toMatchObject({ passed: false, actual: 0 });
    expect(judge('rss_per_session_kib < 70')).toMatchObject({ passed: false, actual: 71.5 });
    expect(judge('reconnected >= 1000')).toMatchObject({ passed: true });
  });

  it('fails what cannot be judged, with the reason, instead of passing it', () => {
    expect(judge('lost_update == 0')).toEqual({
      threshold: 'lost_update == 0',
      passed: false,
      reason: 'the run measured no lost_update',
    });
    expect(judge('reconnect_ms < 5')).toMatchObject({ passed: false, reason: expect.stringContaining('name an aggregate') });
    expect(judge('p99(lost_updates) < 1')).toMatchObject({ passed: false, reason: 'lost_updates is a counter: it has no p99' });
  });

  it('refuses what is no threshold, pointing at where it goes wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['p99(reconnect_ms) 1500', /an operator .* should come here \(at character 19\)/],
      ['p99(reconnect_ms) < fast', /"fast" is not a number/],
      ['p99(reconnect_ms <= 3', /never closed/],
      ['median(reconnect_ms) < 3', /median is no aggregate/],
      ['p101(reconnect_ms) < 3', /p101 is no aggregate/],
      ['lost_updates ==', /a number should come after the operator/],
      ['', /starts with neither a metric nor an aggregate/],
    ];
    for (const [source, message] of cases) {
      expect(() => parseThreshold(source), source).toThrow(message);
      expect(() => parseThreshold(source)).toThrow(expect.objectContaining({ code: 'LAB_BAD_THRESHOLD' }));
    }
  });
});
