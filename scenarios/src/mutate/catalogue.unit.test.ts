/**
 * The mutant catalogue is itself checked: every mutant names real, testable claims that some
 * scenario judges; every defect is wired into its component's code (an entry nothing reads would
 * "survive" for the wrong reason); and every group of claims the suite verifies has a mutant.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTANT_COMPONENTS, MUTANTS } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { CLAIMS } from '../../claims/claims.ts';
import { CHECKERS } from '../checkers/index.ts';
import { SUITE } from '../suite.ts';
import { checkersFor, scenariosFor } from './run-mutant.ts';
import { selectMutants } from './select.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** where each component's defects are switched on */
const SOURCES: Record<(typeof MUTANT_COMPONENTS)[number], string[]> = {
  cloud: ['lab/cloud/src'],
  gateway: ['lab/gateway/src'],
  desktop: ['lab/desktop-sim/src'],
  logger: ['lab/kit/src'],
  coturn: ['lab/core/src/lab'],
};

function sourceText(dirs: string[]): string {
  return dirs
    .flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => readFileSync(join(ROOT, dir, f), 'utf8')),
    )
    .join('\n');
}

describe('the mutant catalogue', () => {
  it('has at least 40 mutants with unique kebab-case ids', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(40);
    const ids = MUTANTS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('names only testable claims of the catalogue, each judged by some scenario', () => {
    for (const m of MUTANTS) {
      expect(m.claims.length, m.id).toBeGreaterThan(0);
      for (const c of m.claims) expect(CLAIMS.find((x) => x.id === c)?.testable, `${m.id}: ${c}`).toBe(true);
      const judges = scenariosFor(m).length + checkersFor(m).length;
      expect(judges, `${m.id}: no scenario or checker judges any of ${m.claims.join(', ')}`).toBeGreaterThan(0);
    }
  });

  it("wires every defect into its component's code", () => {
    const sources = Object.fromEntries(MUTANT_COMPONENTS.map((c) => [c, sourceText(SOURCES[c])]));
    for (const m of MUTANTS) {
      for (const c of m.components) {
        expect(sources[c]!.includes(`'${m.id}'`), `${m.id} is not switched on anywhere in ${SOURCES[c].join(', ')}`).toBe(true);
      }
    }
  });

  it('has a mutant for every group (page section) of claims the suite verifies', () => {
    const judged = new Set([...SUITE.flatMap((s) => s.claims), ...CHECKERS.flatMap((c) => c.claims)]);
    const mutated = new Set(MUTANTS.flatMap((m) => m.claims as readonly string[]));
    const groups = new Map<string, string[]>();
    for (const c of CLAIMS.filter((x) => x.testable && judged.has(x.id))) {
      const key = `${c.page}: ${c.section}`;
      groups.set(key, [...(groups.get(key) ?? []), c.id]);
    }
    const bare = [...groups].filter(([, ids]) => !ids.some((id) => mutated.has(id))).map(([key]) => key);
    expect(bare).toEqual([]);
  });

  it('selects by id and tag, and refuses what it does not know', () => {
    expect(selectMutants({ ids: ['lockout-off'] }).map((m) => m.id)).toEqual(['lockout-off']);
    expect(selectMutants({ tags: ['updates'] }).every((m) => m.tags.includes('updates'))).toBe(true);
    expect(selectMutants().length).toBe(MUTANTS.length);
    expect(() => selectMutants({ ids: ['no-such'] })).toThrow(/no mutant "no-such"/);
    expect(() => selectMutants({ tags: ['nope'] })).toThrow(/no mutant has tag "nope"/);
  });
});
