import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ErrorCodeEntry, LAB_ERROR_CODES } from './error-codes.ts';
import { ERRORS_PAGE_PATH, renderErrorCodesPage } from './error-codes-page.ts';

/*
 * The catalogue is only worth reading if it is complete and true, so this reads the source tree
 * (plain fs reads, no child process) and finds every code given to LabError or a subclass: the
 * first argument of a LabError construction, of a `super` call in a subclass, of constructing a
 * subclass that takes the code, and `code: …` / `.code === …` naming a LAB_ or GATEWAY_ code.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CATALOGUE = LAB_ERROR_CODES as Record<string, ErrorCodeEntry>;

interface Use {
  code: string;
  where: string;
  /** the folder that throws it: lab/<package> or scenarios */
  from: string;
  /** an expectation in a test, not a throw */
  expected: boolean;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.name === 'node_modules') return [];
    const path = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

function sourceFiles(): Map<string, string> {
  const roots = ['scenarios/src', 'scenarios/test', 'deploy/src'];
  for (const pkg of readdirSync(join(ROOT, 'lab'))) roots.push(`lab/${pkg}/src`, `lab/${pkg}/test`);
  const files = new Map<string, string>();
  for (const root of roots)
    for (const file of tsFiles(join(ROOT, root)))
      files.set(relative(ROOT, file).split(sep).join('/'), readFileSync(file, 'utf8'));
  return files;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The text between the brace at `open` and its match (class bodies hold no unbalanced braces in strings). */
function braced(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  return text.slice(open);
}

/** A plain string literal at the start of `text` (no `${}`), or undefined. */
function literalAt(text: string): string | undefined {
  return /^(['"`])([^'"`$\\\n]*)\1/.exec(text)?.[2];
}

function scan(files: Map<string, string>): { uses: Use[]; problems: string[]; family: Set<string> } {
  const uses: Use[] = [];
  const problems: string[] = [];
  const classes = new Map<string, { parent: string; file: string; bodyAt: number; body: string }>();
  for (const [file, text] of files) {
    for (const m of text.matchAll(/\bclass\s+(\w+)\s+extends\s+(\w+)\s*\{/g)) {
      const bodyAt = m.index + m[0].length - 1;
      classes.set(m[1]!, { parent: m[2]!, file, bodyAt, body: braced(text, bodyAt) });
    }
  }
  // Parents before children, so whether a class takes the code as its first argument is known for its parent.
  const takesCode = new Map<string, boolean>([['LabError', true]]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, c] of classes) {
      const parentTakes = takesCode.get(c.parent);
      if (takesCode.has(name) || parentTakes === undefined) continue;
      grew = true;
      const ctor = /\bconstructor\s*\(/.exec(c.body);
      const superCall = /\bsuper\(\s*/.exec(c.body);
      if (!ctor || !superCall) {
        takesCode.set(name, parentTakes); // inherits the parent's constructor
        continue;
      }
      const code = parentTakes ? literalAt(c.body.slice(superCall.index + superCall[0].length)) : undefined;
      if (code === undefined)
        takesCode.set(name, parentTakes); // passes its own first argument on as the code
      else {
        takesCode.set(name, false);
        const where = `${c.file}:${lineOf(files.get(c.file)!, c.bodyAt + superCall.index)}`;
        uses.push({ code, where, from: packageOf(c.file), expected: false });
      }
    }
  }
  const codeTakers = [...takesCode].filter(([, takes]) => takes).map(([name]) => name);
  const news = new RegExp(String.raw`\bnew\s+(${codeTakers.join('|')})\(\s*`, 'g');
  for (const [file, text] of files) {
    for (const m of text.matchAll(news)) {
      const code = literalAt(text.slice(m.index + m[0].length));
      const where = `${file}:${lineOf(text, m.index)}`;
      if (code === undefined) problems.push(`${where}: new ${m[1]}(…) whose code is not a plain string literal`);
      else uses.push({ code, where, from: packageOf(file), expected: false });
    }
    for (const m of text.matchAll(/\bcode['"]?\s*(?:===?|!==?|:)\s*(['"])((?:LAB|GATEWAY|DEPLOY)_[A-Z0-9_]+)\1/g)) {
      uses.push({ code: m[2]!, where: `${file}:${lineOf(text, m.index)}`, from: packageOf(file), expected: true });
    }
  }
  return { uses, problems, family: new Set(takesCode.keys()) };
}

function packageOf(file: string): string {
  return file.startsWith('lab/') ? file.split('/').slice(0, 2).join('/') : file.split('/')[0]!;
}

describe('the error-code catalogue', () => {
  const { uses, problems, family } = scan(sourceFiles());
  const thrown = uses.filter((u) => !u.expected);

  it('finds the LabError family and its codes (the scan itself works)', () => {
    for (const name of ['LabError', 'MissingToolError', 'UnknownSiteError', 'DesktopError', 'InsecurePermissionsError'])
      expect(family).toContain(name);
    expect(thrown.length).toBeGreaterThan(50);
    expect(thrown.map((u) => u.code)).toEqual(
      expect.arrayContaining(['LAB_UNKNOWN_SITE', 'GATEWAY_BAD_CONFIG', 'not_signed_in']),
    );
  });

  it('gives every code as a string literal, so it can be checked', () => {
    expect(problems).toEqual([]);
  });

  it('has an entry for every code the source throws or expects', () => {
    const missing = uses.filter((u) => !Object.hasOwn(CATALOGUE, u.code)).map((u) => `${u.code} (${u.where})`);
    expect(missing, 'add these to LAB_ERROR_CODES in lab/kit/src/error-codes.ts (or use an existing code)').toEqual([]);
  });

  it('has no entry that nothing throws, and says truly which packages throw each', () => {
    const wrong: string[] = [];
    for (const [code, entry] of Object.entries(CATALOGUE)) {
      const from = [...new Set(thrown.filter((u) => u.code === code).map((u) => u.from))].sort();
      if (from.length === 0) wrong.push(`${code}: thrown nowhere; remove the entry`);
      else if (from.join() !== [...entry.from].sort().join())
        wrong.push(`${code}: from is ${from.join(', ')}, not ${entry.from.join(', ')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('matches lab/kit/ERRORS.md, whose links resolve', () => {
    const page = readFileSync(ERRORS_PAGE_PATH, 'utf8');
    expect(page, 'ERRORS.md disagrees with the table: run node lab/kit/src/error-codes-page.ts').toBe(renderErrorCodesPage());
    for (const [, target] of page.matchAll(/\]\(([^)#]+)\)/g))
      expect(existsSync(join(dirname(ERRORS_PAGE_PATH), target!)), target).toBe(true);
    expect(readFileSync(join(ROOT, 'lab/protocol/src/errors.ts'), 'utf8')).toContain('export const ERROR_CODES');
  });
});
