/**
 * A scenario that uses something a driver may lack must say so in `needs`, or on that driver it
 * fails at run time instead of showing as skipped with the reason. Read from the sources: what a
 * scenario (or a helper function of the scenarios folder it calls) touches decides what it needs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Capability } from './define.ts';
import { SUITE } from './suite.ts';

const DIR = join(import.meta.dirname, 'scenarios');

/** what in a source means the capability is needed */
const USES: Array<{ capability: Capability; pattern: RegExp }> = [
  { capability: 'host-files', pattern: /\bhostFiles\(/ },
  { capability: 'ca-key', pattern: /\bca\.issue\(/ },
  { capability: 'update-cdn', pattern: /\bcdnAdmin\b/ },
];

/** exported functions of the helper modules, with their bodies (up to the next top-level closing brace) */
function helperFunctions(): Array<{ name: string; body: string }> {
  return readdirSync(DIR)
    .filter((f) => !/^s\d{2}-/.test(f) && f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .flatMap((f) =>
      [...readFileSync(join(DIR, f), 'utf8').matchAll(/^export (?:async )?function (\w+)[\s\S]*?^}/gm)].map((m) => ({
        name: m[1]!,
        body: m[0],
      })),
    );
}

function neededBySource(source: string, helpers = helperFunctions()): Capability[] {
  const reached = [source, ...helpers.filter((h) => new RegExp(`\\b${h.name}\\(`).test(source)).map((h) => h.body)];
  return USES.filter((u) => reached.some((text) => u.pattern.test(text))).map((u) => u.capability);
}

describe('scenario capability declarations', () => {
  const files = readdirSync(DIR).filter((f) => /^s\d{2}-.*\.ts$/.test(f));
  const byId = new Map(SUITE.map((s) => [s.id.toLowerCase(), s]));

  it('finds every scenario file and its definition', () => {
    expect(files.length).toBe(byId.size);
    for (const f of files) expect(byId.has(f.replace(/\.ts$/, '')), f).toBe(true);
  });

  it.each(files)('%s declares what its source uses', (file) => {
    const needed = neededBySource(readFileSync(join(DIR, file), 'utf8'));
    const declared = byId.get(file.replace(/\.ts$/, ''))!.needs;
    expect(needed.filter((c) => !declared.includes(c))).toEqual([]);
  });

  it('sees a use through a helper function, and none where there is none', () => {
    const helpers = [{ name: 'readConfig', body: 'export function readConfig(ctx) {\n  return ctx.lab.hostFiles(h);\n}' }];
    expect(neededBySource('await readConfig(ctx);', helpers)).toEqual(['host-files']);
    expect(neededBySource('await ctx.lab.ca.issue(["x"]);', helpers)).toEqual(['ca-key']);
    expect(neededBySource('await ctx.api.request(routes.me);', helpers)).toEqual([]);
  });
});
