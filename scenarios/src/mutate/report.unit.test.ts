import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { claimsProven } from './claims-proven.ts';
import type { MutantResult, MutationRun } from './model.ts';
import { renderMutantsHtml, renderMutantsJunit, writeMutantsReport } from './report.ts';

const mutant = (id: string, outcome: MutantResult['outcome'], killedClaims: string[] = []): MutantResult => ({
  id,
  defect: `defect of ${id} <b>`,
  components: ['cloud'],
  claims: ['CS-34', 'NS-14'],
  tags: ['tokens'],
  outcome,
  ...(outcome === 'killed'
    ? { killedBy: { by: 'S04-clock-moved', step: 'tokens last 4 h', claims: killedClaims, message: 'x' } }
    : {}),
  scenarios: [{ id: 'S04-clock-moved', status: outcome === 'killed' ? 'failed' : 'passed', durationMs: 1200 }],
  durationMs: 5000,
});

const claims = [
  {
    id: 'CS-34',
    page: 'credentials-and-secrets',
    section: 'WebSocket session tokens',
    sentence: 'user tokens expire after 4 hours',
    testable: true,
  },
  {
    id: 'NS-14',
    page: 'network-security',
    section: 'Desktop app to MultiClaw Cloud',
    sentence: 'short lifespan',
    testable: true,
  },
  { id: 'SO-03', page: 'security-overview', section: 'Security overview', sentence: 'x', testable: false, reason: 'r' },
] as const;

function run(mutants: MutantResult[]): MutationRun {
  return {
    runId: '2026-12-02T04-00-00-000Z-mutants',
    startedAt: '2026-12-02T04:00:00.000Z',
    finishedAt: '2026-12-02T04:01:00.000Z',
    driver: 'netns',
    mutants,
    claims: claimsProven([...claims], new Set(['CS-34', 'NS-14', 'SO-03']), mutants),
  };
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the mutation report', () => {
  it('proves a claim able to fail only through the claims of the check that killed a mutant', () => {
    const r = run([mutant('user-wss-token-48-hours', 'killed', ['CS-34']), mutant('x', 'survived')]);
    expect(r.claims).toEqual([
      { id: 'CS-34', sentence: 'user tokens expire after 4 hours', killedBy: ['user-wss-token-48-hours'] },
      { id: 'NS-14', sentence: 'short lifespan', killedBy: [] },
    ]);
  });

  it('junit.xml has one test per mutant; any mutant not killed is a failure', () => {
    const xml = renderMutantsJunit(run([mutant('a', 'killed', ['CS-34']), mutant('b', 'survived'), mutant('c', 'errored')]));
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' }).parse(xml);
    const suite = doc.testsuites.testsuite;
    expect(suite['@_tests']).toBe('3');
    expect(suite['@_failures']).toBe('2');
    const cases = suite.testcase as Array<{ '@_name': string; failure?: { '@_type': string } }>;
    expect(cases.map((c) => c.failure?.['@_type'] ?? 'ok')).toEqual(['ok', 'MutantSurvived', 'MutantNotKilled']);
  });

  it('the page shows the verdict, every mutant, and the claims no mutant proves, with its text escaped', () => {
    const page = renderMutantsHtml(run([mutant('a', 'killed', ['CS-34']), mutant('b', 'survived')]));
    expect(page).toContain('MUTANTS NOT KILLED');
    expect(page).toContain('id="mutant-a"');
    expect(page).toContain('SURVIVED: S04-clock-moved passed with the defect on');
    expect(page).toMatch(/Verifiable claims no mutant has shown able to fail: 1 of 2/);
    expect(page).toContain('defect of a &lt;b&gt;');
    expect(page).not.toContain('defect of a <b>');
    expect(renderMutantsHtml(run([mutant('a', 'killed', ['CS-34'])]))).toContain('ALL MUTANTS KILLED');
  });

  it('writes results.json, junit.xml and index.html under mutants/, and refreshes mutants/latest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mutants-report-'));
    const r = run([mutant('a', 'killed', ['CS-34'])]);
    const { runDir } = await writeMutantsReport(r, dir);
    expect(runDir).toBe(join(dir, 'mutants', r.runId));
    expect(JSON.parse(await readFile(join(dir, 'mutants', 'latest', 'results.json'), 'utf8'))).toEqual(r);
    expect(await readFile(join(runDir, 'index.html'), 'utf8')).toContain('ALL MUTANTS KILLED');
    expect(await readFile(join(runDir, 'junit.xml'), 'utf8')).toContain('<testsuites');
  });
});
