import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MutationRun } from './model.ts';
import { MUTANTS_DIR } from './report.ts';

/** The newest `lab mutate` run under `reportsDir`, or undefined when there is none (or it cannot be read). */
export async function latestMutationRun(reportsDir: string): Promise<MutationRun | undefined> {
  try {
    const run = JSON.parse(await readFile(join(reportsDir, MUTANTS_DIR, 'latest', 'results.json'), 'utf8')) as MutationRun;
    return Array.isArray(run.mutants) && Array.isArray(run.claims) ? run : undefined;
  } catch {
    return undefined;
  }
}
