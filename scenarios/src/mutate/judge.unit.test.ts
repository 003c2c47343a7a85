import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../model.ts';
import { checkerKill, checkerResultKill, killOf, outcomeOf } from './judge.ts';

const failed = (failure: ScenarioResult['failure']): Pick<ScenarioResult, 'id' | 'status' | 'failure' | 'error'> => ({
  id: 'S04-clock-moved',
  status: 'failed',
  ...(failure ? { failure } : {}),
  error: { message: 'boom' },
});

describe('a mutant is killed only by a failing check of one of its claims', () => {
  it('a failed check naming one of its claims kills it, and names the claims proven', () => {
    const kill = killOf(['CS-34', 'NS-14'], failed({ kind: 'check', step: 'user tokens last 4 h', claims: ['CS-34', 'NS-13'] }));
    expect(kill).toEqual({ by: 'S04-clock-moved', step: 'user tokens last 4 h', claims: ['CS-34'], message: 'boom' });
  });

  it('a failed check of other claims does not kill it', () => {
    expect(killOf(['CS-34'], failed({ kind: 'check', step: 'x', claims: ['NS-13'] }))).toBeUndefined();
  });

  it('a setup failure, a timeout or an unchecked claim does not kill it', () => {
    expect(killOf(['CS-34'], failed({ kind: 'setup' }))).toBeUndefined();
    expect(killOf(['CS-34'], failed({ kind: 'timeout' }))).toBeUndefined();
    expect(killOf(['CS-34'], failed({ kind: 'unchecked', claims: ['CS-34'] }))).toBeUndefined();
    expect(killOf(['CS-34'], failed(undefined))).toBeUndefined();
  });

  it('a passing scenario does not kill it', () => {
    expect(killOf(['CS-34'], { id: 'S04', status: 'passed' })).toBeUndefined();
  });

  it('a whole-run checker kills it when it judges one of its claims', () => {
    expect(checkerKill(['CS-13'], { by: 'canary', claims: ['CS-12', 'CS-13'], message: 'hit' })?.claims).toEqual(['CS-13']);
    expect(checkerKill(['CS-34'], { by: 'canary', claims: ['CS-12', 'CS-13'], message: 'hit' })).toBeUndefined();
  });
});

describe('the outcome of a mutant run', () => {
  const run = (status: 'passed' | 'failed' | 'skipped') => ({ id: 'S01', status, durationMs: 1 });
  it('is killed when something killed it', () => {
    expect(outcomeOf({ by: 'S01', step: 's', claims: ['NS-17'], message: '' }, [run('failed')])).toBe('killed');
  });
  it('survives when every scenario passed', () => {
    expect(outcomeOf(undefined, [run('passed'), run('passed')])).toBe('survived');
  });
  it('errors when a scenario failed or was skipped without killing it', () => {
    expect(outcomeOf(undefined, [run('passed'), run('failed')])).toBe('errored');
    expect(outcomeOf(undefined, [run('skipped')])).toBe('errored');
  });
  it('has no scenario when none names its claims', () => {
    expect(outcomeOf(undefined, [])).toBe('no-scenario');
  });
});

describe('a failed whole-run checker', () => {
  const result = (findings: Array<{ target: string; message: string; claims?: string[] }>) => ({
    id: 'egress-audit',
    title: 'egress audit',
    claims: ['SO-33', 'SO-42', 'NS-49'],
    status: 'failed' as const,
    durationMs: 1,
    summary: 'failed',
    findings,
    evidence: [],
  });

  it('kills through the claims of the check that failed inside it', () => {
    const kill = checkerResultKill(
      ['SO-33', 'NS-49'],
      result([{ target: 'every connection documented', message: 'x', claims: ['SO-33'] }]),
    );
    expect(kill).toMatchObject({ by: 'checker egress-audit', step: 'every connection documented', claims: ['SO-33'] });
  });

  it('kills through all its claims when the finding names none, and not at all when none is the mutant’s', () => {
    expect(checkerResultKill(['NS-49'], result([{ target: 't', message: 'x' }]))?.claims).toEqual(['NS-49']);
    expect(checkerResultKill(['CS-34'], result([{ target: 't', message: 'x' }]))).toBeUndefined();
    expect(checkerResultKill(['SO-33'], { ...result([]), status: 'passed' })).toBeUndefined();
  });
});
