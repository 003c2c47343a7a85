import { describe, expect, it } from 'vitest';
import { CONTRADICTIONS } from '../claims/contradictions.ts';
import type { CatalogueClaim } from './claims.ts';
import { checkCatalogue, claimById, defaultPagesDir, loadClaims, normalise, PAGE_PREFIX } from './claims.ts';
import { PAGES } from './model.ts';

const pagesDir = defaultPagesDir();

function fake(overrides: Partial<CatalogueClaim>): CatalogueClaim {
  return {
    id: 'NS-99',
    page: 'network-security',
    section: 'Proxy support',
    sentence: 'No additional proxy configuration is needed inside MultiClaw.',
    testable: true,
    hint: 'a test claim',
    ...overrides,
  } as CatalogueClaim;
}

describe('the claims catalogue', () => {
  it('matches the pages: every sentence verbatim under its heading, ids sound, reasons and hints given', async () => {
    expect(await checkCatalogue(pagesDir)).toEqual([]);
  });

  it('has claims from every page, each with its own prefix', () => {
    for (const page of PAGES) {
      const ofPage = loadClaims().filter((c) => c.page === page);
      expect(ofPage.length, page).toBeGreaterThan(0);
      expect(ofPage.every((c) => c.id.startsWith(`${PAGE_PREFIX[page]}-`))).toBe(true);
    }
  });

  it('gives every untestable claim a reason', () => {
    const untestable = loadClaims().filter((c) => !c.testable);
    expect(untestable.length).toBeGreaterThan(0);
    for (const c of untestable) expect(c.testable === false && c.reason.length > 0, c.id).toBe(true);
  });

  it('lists contradictions only between claims it has, on different sentences, each explained', () => {
    for (const x of CONTRADICTIONS) {
      for (const id of [x.claim, ...x.against]) expect(() => claimById(id), id).not.toThrow();
      expect(x.against).not.toContain(x.claim);
      expect(x.against.length).toBeGreaterThan(0);
      expect(x.explanation.length).toBeGreaterThan(40);
    }
  });

  it('finds a claim by id and names the catalogue for an unknown id', () => {
    expect(claimById('CS-34').sentence).toContain('**4 hours**');
    expect(() => claimById('XX-01')).toThrow(/unknown claim id "XX-01".*scenarios\/claims/);
  });
});

describe('checkCatalogue reports', () => {
  const withFake = (claim: CatalogueClaim) => checkCatalogue(pagesDir, [...loadClaims(), claim]);

  it('a sentence that is not in its page', async () => {
    const problems = await withFake(fake({ sentence: 'MultiClaw pins every certificate it sees.' }));
    expect(problems).toEqual([expect.objectContaining({ kind: 'sentence-missing', id: 'NS-99' })]);
  });

  it('a sentence that is in the page only with different wording inside it', async () => {
    const altered = 'No extra proxy configuration is needed inside MultiClaw.';
    expect(await withFake(fake({ sentence: altered }))).toEqual([expect.objectContaining({ kind: 'sentence-missing' })]);
  });

  it('a sentence under another heading than the one named', async () => {
    const problems = await withFake(fake({ section: 'TLS and certificate verification' }));
    // the same sentence under another heading is not a duplicate (a page may repeat a promise), only misplaced
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'wrong-section', id: 'NS-99', message: expect.stringContaining('"Proxy support"') }),
    ]);
  });

  it('an id with the prefix of another page, and a duplicate id', async () => {
    const problems = await checkCatalogue(pagesDir, [
      ...loadClaims(),
      fake({ id: 'SO-98', sentence: 'MultiClaw respects the system `HTTP_PROXY` and `HTTPS_PROXY` environment variables.' }),
      fake({ id: 'NS-01', sentence: 'Set these in your shell profile or system environment settings before launching the app.' }),
    ]);
    expect(problems.map((p) => [p.kind, p.id])).toEqual([
      ['bad-id', 'SO-98'],
      ['duplicate-sentence', 'SO-98'],
      ['duplicate-id', 'NS-01'],
    ]);
  });

  it('an untestable claim without a reason and a testable one without a hint', async () => {
    const noReason = fake({
      id: 'NS-97',
      testable: false,
      reason: ' ',
      hint: undefined,
      sentence: 'Set these in your shell profile or system environment settings before launching the app.',
    });
    const noHint = fake({ id: 'NS-98', hint: '', sentence: 'Set these in your shell profile' });
    const problems = await checkCatalogue(pagesDir, [...loadClaims(), noReason, noHint]);
    expect(problems.map((p) => [p.kind, p.id])).toEqual([
      ['untestable-without-reason', 'NS-97'],
      ['testable-without-hint', 'NS-98'],
    ]);
  });

  it('a page with no claims and a pages folder without the pages', async () => {
    const onlyNetwork = loadClaims().filter((c) => c.page === 'network-security');
    const kinds = (await checkCatalogue(pagesDir, onlyNetwork)).map((p) => p.kind);
    expect(kinds).toEqual(['page-without-claims', 'page-without-claims', 'page-without-claims']);
    const missing = await checkCatalogue('/nonexistent-docs', loadClaims());
    expect(missing.filter((p) => p.kind === 'page-missing')).toHaveLength(PAGES.length);
  });
});

describe('normalise', () => {
  it('ignores only emphasis, backticks and whitespace', () => {
    expect(normalise('  **TLS 1.2**  at\n minimum, `443`  ')).toBe('TLS 1.2 at minimum, 443');
    expect(normalise('_italic_ — kept')).toBe('_italic_ — kept');
  });
});
