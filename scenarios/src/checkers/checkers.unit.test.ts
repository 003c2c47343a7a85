import type { Lab } from '@multiclaw-lab/core';
import { describe, expect, it } from 'vitest';
import { loadClaims } from '../claims.ts';
import { CHECKERS, defineChecker, runChecker, selectCheckers } from './index.ts';

const ctx = { lab: {} as Lab, evidenceDir: '/nonexistent', scenariosRun: [], onProgress: () => undefined };

describe('whole-run checkers', () => {
  it('are the egress audit (first: it reads the capture the scanners would fill), testssl, nmap and schemathesis, each naming the claims it judges', () => {
    expect(CHECKERS.map((c) => c.id)).toEqual(['egress-audit', 'testssl', 'nmap', 'schemathesis']);
    expect(selectCheckers(['schemathesis', 'testssl']).map((c) => c.id)).toEqual(['testssl', 'schemathesis']);
    expect(selectCheckers([])).toEqual([]);
    expect(() => selectCheckers(['sslyze'])).toThrow(/no checker "sslyze"; checkers: egress-audit, testssl, nmap, schemathesis/);
    const testable = new Set(
      loadClaims()
        .filter((c) => c.testable)
        .map((c) => c.id),
    );
    for (const c of CHECKERS)
      expect(
        c.claims.filter((id) => !testable.has(id)),
        c.id,
      ).toEqual([]);
  });

  it('turn an error or a checker that never ends into a failed result with the reason as its finding', async () => {
    const broken = defineChecker({
      id: 'broken',
      title: 'throws',
      claims: ['NS-10'],
      run: async () => Promise.reject(new Error('tool crashed')),
    });
    expect(await runChecker(broken, ctx)).toMatchObject({
      status: 'failed',
      findings: [{ target: 'broken', message: 'tool crashed' }],
    });
    const stuck = defineChecker({
      id: 'stuck',
      title: 'never ends',
      claims: ['NS-10'],
      timeoutMs: 1,
      run: () => new Promise(() => undefined),
    });
    expect(await runChecker(stuck, ctx)).toMatchObject({
      status: 'failed',
      summary: expect.stringMatching(/did not finish within 1 ms/),
    });
  });

  it('refuse an id that is not kebab-case or names no claim', () => {
    expect(() => defineChecker({ id: 'Bad Id', title: '', claims: ['NS-10'], run: async () => ({}) as never })).toThrow(
      /kebab-case/,
    );
    expect(() => defineChecker({ id: 'ok', title: '', claims: [], run: async () => ({}) as never })).toThrow(/claims/);
  });
});
