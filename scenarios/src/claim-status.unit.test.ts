import { describe, expect, it } from 'vitest';
import { type Claim, claimResults, type ScenarioResult } from './model.ts';

const claim = (id: string, testable = true): Claim => {
  const base = { id, page: 'network-security' as const, section: 'a section', sentence: `sentence ${id}` };
  return testable ? { ...base, testable: true } : { ...base, testable: false, reason: 'not in a lab' };
};
const scenario = (id: string, status: ScenarioResult['status'], claims: string[]): ScenarioResult => ({
  id,
  title: id,
  status,
  durationMs: 1,
  claims,
  tags: [],
  needs: [],
  seed: 1,
  metrics: [],
  timeline: [],
  evidence: [],
});

describe('a claim’s status in a run', () => {
  const claims = [claim('A'), claim('B'), claim('C'), claim('D'), claim('E', false)];
  const scenarios = [
    scenario('S1', 'passed', ['A', 'B', 'C']),
    scenario('S2', 'skipped', ['B']),
    scenario('S3', 'failed', ['C']),
  ];
  const status = Object.fromEntries(claimResults(claims, scenarios).map((c) => [c.id, c.status]));

  it('is verified only when every scenario naming it ran and passed', () => {
    expect(status.A).toBe('verified');
  });

  it('stays untested when one scenario behind it was skipped, even if another passed', () => {
    expect(status.B).toBe('untested');
  });

  it('is failed when any scenario behind it failed, and untested when none names it', () => {
    expect(status.C).toBe('failed');
    expect(status.D).toBe('untested');
  });

  it('keeps an untestable claim untestable whatever ran', () => {
    expect(status.E).toBe('untestable');
  });
});

describe('a claim the pages contradict', () => {
  const claims = [claim('A'), claim('B'), claim('C')];
  const results = claimResults(
    claims,
    [scenario('S1', 'passed', ['A', 'B'])],
    [{ claim: 'A', against: ['B', 'C'], explanation: 'A says no, B and C say yes' }],
  );

  it('is a documented contradiction, never verified, even when its scenario passed', () => {
    expect(results[0]).toMatchObject({
      id: 'A',
      status: 'contradiction',
      scenarios: ['S1'],
      contradiction: {
        explanation: 'A says no, B and C say yes',
        against: [
          { id: 'B', sentence: 'sentence B' },
          { id: 'C', sentence: 'sentence C' },
        ],
      },
    });
  });

  it('leaves the sentences it disagrees with to their own scenarios', () => {
    expect(results[1]?.status).toBe('verified');
    expect(results[2]?.status).toBe('untested');
  });
});
