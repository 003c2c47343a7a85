/**
 * A mutant of a defence-in-depth layer (see `unitTests` in the catalogue) is judged by that
 * layer's own unit tests, run with the switch on: killed when at least one of them fails. It
 * proves the layer is tested; it proves no claim, so its kill names none.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { MUTANT_ENV } from '@multiclaw-lab/kit';
import type { MutantDefinition } from '@multiclaw-lab/protocol';
import { mutantBase } from './judge.ts';
import type { MutantResult } from './model.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** vitest's own summary line, "Tests  2 failed | 4 passed (6)", without colours */
export function summaryOf(output: string): { failed: number; passed: number; failures: string[] } {
  const plain = stripVTControlCharacters(output);
  const line = plain.split('\n').find((l) => /^\s*Tests\s/.test(l)) ?? '';
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  const failures = plain
    .split('\n')
    .filter((l) => /^\s*×\s/.test(l))
    .map((l) =>
      l
        .replace(/^\s*×\s*/, '')
        .replace(/\s+\d+ms$/, '')
        .trim(),
    );
  return { failed: count('failed'), passed: count('passed'), failures };
}

export async function runUnitMutant(mutant: MutantDefinition & { unitTests: readonly string[] }): Promise<MutantResult> {
  const started = Date.now();
  const base = { ...mutantBase(mutant), scenarios: [] };
  try {
    // failing tests exit non-zero: the summary says what happened
    const output = await run(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', ...mutant.unitTests, '--reporter=verbose'], {
      cwd: ROOT,
      env: { ...process.env, [MUTANT_ENV]: mutant.id, FORCE_COLOR: '0' },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    }).then(
      (r) => r.stdout,
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    const { failed, passed, failures } = summaryOf(output);
    const durationMs = Date.now() - started;
    if (failed + passed === 0)
      return { ...base, outcome: 'errored', error: `no test ran in ${mutant.unitTests.join(', ')}`, durationMs };
    if (failed === 0) return { ...base, outcome: 'survived', durationMs };
    const by = mutant.unitTests.join(', ');
    return {
      ...base,
      outcome: 'killed',
      killedBy: { by, step: `${failed} unit tests failed`, claims: [], message: failures.join('; ') },
      durationMs,
    };
  } catch (err) {
    return {
      ...base,
      outcome: 'errored',
      error: `the unit tests did not run: ${err instanceof Error ? err.message : String(err)}`,
      durationMs: Date.now() - started,
    };
  }
}
