import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadClaims } from './claims.ts';
import { SUITE } from './suite.ts';

// A claim id the catalogue does not have would otherwise be dropped silently from the report's
// claims matrix (claimResults joins from the catalogue side), and a scenario file missing from
// SUITE would never run.
describe('the scenario suite', () => {
  it('names only testable claims of the catalogue', () => {
    const catalogue = new Map(loadClaims().map((c) => [c.id, c]));
    const wrong = SUITE.flatMap((s) =>
      s.claims.flatMap((id) => {
        const claim = catalogue.get(id);
        if (!claim) return [`${s.id}: ${id} is not in scenarios/claims`];
        return claim.testable ? [] : [`${s.id}: ${id} is marked untestable`];
      }),
    );
    expect(wrong).toEqual([]);
  });

  it('runs every scenario file once, each with an id that matches its file name', () => {
    const files = readdirSync(new URL('./scenarios/', import.meta.url)).filter((f) => /^s\d{2}-.*\.ts$/.test(f));
    const ids = SUITE.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.map((id) => `${id.toLowerCase()}.ts`).sort()).toEqual(files.sort());
  });
});
