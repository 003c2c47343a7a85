import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import { type CatalogueClaim, CLAIMS } from '../claims/claims.ts';
import { PAGES, type Page } from './model.ts';

export type { CatalogueClaim } from '../claims/claims.ts';

/** Id prefix of each page's claims: `SO-01`, `CS-01`, `DE-01`, `NS-01`. */
export const PAGE_PREFIX: Record<Page, string> = {
  'security-overview': 'SO',
  'credentials-and-secrets': 'CS',
  'data-encryption': 'DE',
  'network-security': 'NS',
};

/** The catalogue (scenarios/claims/), in page order. */
export function loadClaims(): CatalogueClaim[] {
  return CLAIMS;
}

export function claimById(id: string): CatalogueClaim {
  const claim = CLAIMS.find((c) => c.id === id);
  if (!claim) {
    throw new LabError('LAB_UNKNOWN_CLAIM', `unknown claim id "${id}"`, {
      hint: 'ids are SO-nn, CS-nn, DE-nn or NS-nn; the catalogue is scenarios/claims/*.ts',
    });
  }
  return claim;
}

export type CatalogueProblemKind =
  | 'page-missing'
  | 'page-without-claims'
  | 'bad-id'
  | 'duplicate-id'
  | 'duplicate-sentence'
  | 'section-missing'
  | 'sentence-missing'
  | 'wrong-section'
  | 'untestable-without-reason'
  | 'testable-without-hint';

export interface CatalogueProblem {
  kind: CatalogueProblemKind;
  /** the claim concerned; absent for page-level problems */
  id?: string;
  message: string;
}

/**
 * What the comparison ignores, and nothing else: markdown emphasis `**`, backticks, and
 * whitespace differences (every run of whitespace, line breaks included, counts as one space;
 * leading/trailing whitespace is dropped). Everything else — punctuation, dashes, arrows, case,
 * table pipes — must match the page exactly.
 */
export function normalise(text: string): string {
  return text.replaceAll('**', '').replaceAll('`', '').replace(/\s+/g, ' ').trim();
}

interface Section {
  heading: string;
  /** normalised text of the lines under the heading, up to the next heading of any level */
  body: string;
}

/** Splits a page at its markdown headings (`#` to `######`); the H1 title is a section too. */
export function sectionsOf(markdown: string): Section[] {
  const sections: Section[] = [];
  let current: { heading: string; lines: string[] } | undefined;
  const flush = () => {
    if (current) sections.push({ heading: current.heading, body: normalise(current.lines.join('\n')) });
  };
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      current = { heading: normalise(heading[1]!), lines: [] };
    } else {
      current?.lines.push(line);
    }
  }
  flush();
  return sections;
}

/**
 * Checks the catalogue against the pages in `pagesDir` (`<page>.md` each). Returns every problem
 * found, none when the catalogue is sound. A sentence must appear, after `normalise`, inside the
 * section whose heading the claim names.
 */
export async function checkCatalogue(pagesDir: string, claims: CatalogueClaim[] = loadClaims()): Promise<CatalogueProblem[]> {
  const problems: CatalogueProblem[] = [];
  const pages = new Map<Page, Section[]>();
  for (const page of PAGES) {
    const file = join(pagesDir, `${page}.md`);
    if (!existsSync(file)) {
      problems.push({ kind: 'page-missing', message: `${file} does not exist; point checkCatalogue at the docs folder` });
      continue;
    }
    pages.set(page, sectionsOf(await readFile(file, 'utf8')));
    if (!claims.some((c) => c.page === page)) {
      problems.push({ kind: 'page-without-claims', message: `no claim comes from ${page}.md` });
    }
  }

  const seenIds = new Set<string>();
  const seenSentences = new Map<string, string>();
  for (const claim of claims) {
    const { id } = claim;
    const prefix = PAGE_PREFIX[claim.page];
    if (!new RegExp(`^${prefix}-\\d{2,}$`).test(id)) {
      problems.push({ kind: 'bad-id', id, message: `${id}: claims of ${claim.page} are numbered ${prefix}-01, ${prefix}-02, …` });
    }
    if (seenIds.has(id)) problems.push({ kind: 'duplicate-id', id, message: `${id} is used by more than one claim` });
    seenIds.add(id);

    const where = `${claim.page}#${claim.section}#${normalise(claim.sentence)}`;
    const first = seenSentences.get(where);
    if (first) problems.push({ kind: 'duplicate-sentence', id, message: `${id} repeats ${first} (same sentence, same section)` });
    else seenSentences.set(where, id);

    if (!claim.testable && claim.reason.trim() === '') {
      problems.push({ kind: 'untestable-without-reason', id, message: `${id} is untestable but gives no reason` });
    }
    if (claim.testable && !claim.hint?.trim()) {
      problems.push({
        kind: 'testable-without-hint',
        id,
        message: `${id} is testable but gives no hint on how the lab verifies it`,
      });
    }

    const sections = pages.get(claim.page);
    if (sections) problems.push(...placeInPage(claim, sections));
  }
  return problems;
}

function placeInPage(claim: CatalogueClaim, sections: Section[]): CatalogueProblem[] {
  const { id } = claim;
  const sentence = normalise(claim.sentence);
  const holders = sections.filter((s) => s.body.includes(sentence)).map((s) => s.heading);
  if (holders.length === 0) {
    return [{ kind: 'sentence-missing', id, message: `${id}: sentence not found in ${claim.page}.md: "${claim.sentence}"` }];
  }
  if (!sections.some((s) => s.heading === normalise(claim.section))) {
    return [{ kind: 'section-missing', id, message: `${id}: ${claim.page}.md has no heading "${claim.section}"` }];
  }
  if (!holders.includes(normalise(claim.section))) {
    return [
      {
        kind: 'wrong-section',
        id,
        message: `${id}: the sentence stands under "${holders.join('", "')}" in ${claim.page}.md, not under "${claim.section}"`,
      },
    ];
  }
  return [];
}

/**
 * Where the pages are: `<repo root>/../shared/docs` (the layout of this workspace), else the
 * folder named by SHARED_DOCS_DIR.
 */
export function defaultPagesDir(): string {
  const beside = join(import.meta.dirname, '..', '..', '..', 'shared', 'docs');
  if (existsSync(beside)) return beside;
  const fromEnv = process.env.SHARED_DOCS_DIR;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  throw new LabError('LAB_DOCS_NOT_FOUND', `MultiClaw's pages are neither in ${beside} nor in SHARED_DOCS_DIR`, {
    hint: 'set SHARED_DOCS_DIR to the folder holding security-overview.md and the other three pages',
  });
}
