/**
 * The newest results of each driver, kept as `reports/drivers/<driver>/results.json`, so that a
 * report can show a claim's status on every driver side by side: the same suite runs on netns
 * and docker, and a claim verified on one may be untested on the other (its scenario skipped).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResults } from '../model.ts';

/** The folder beside the run folders and `latest/` that holds one folder per driver. */
export const DRIVERS_DIR = 'drivers';

/** A driver name becomes a folder name: one plain path segment. */
const DRIVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Why this run cannot be kept as its driver's newest (its driver's name cannot be a folder name), if so. */
export function cannotKeep(results: RunResults): string | undefined {
  return DRIVER_NAME.test(results.driver)
    ? undefined
    : `driver ${JSON.stringify(results.driver)} cannot name a folder, so this run is not kept under ${DRIVERS_DIR}/`;
}

/**
 * Replaces `drivers/<driver>/results.json` with this run's results. The file is written beside
 * its place and renamed over it, so a reader never sees half of it. Returns the warning of
 * `cannotKeep` instead when the driver's name cannot be a folder name.
 */
export async function keepDriverResults(reportsDir: string, results: RunResults): Promise<string | undefined> {
  const problem = cannotKeep(results);
  if (problem) return problem;
  const dir = join(reportsDir, DRIVERS_DIR, results.driver);
  await mkdir(dir, { recursive: true });
  const incoming = join(dir, `.results-incoming-${results.runId}-${process.pid}.json`);
  await writeFile(incoming, `${JSON.stringify(results, null, 2)}\n`);
  try {
    await rename(incoming, join(dir, 'results.json'));
  } catch (error) {
    await rm(incoming, { force: true });
    throw error;
  }
  return undefined;
}

function looksLikeRun(value: unknown, driver: string): value is RunResults {
  const v = value as Partial<RunResults> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.runId === 'string' &&
    v.driver === driver &&
    Array.isArray(v.claims) &&
    Array.isArray(v.scenarios)
  );
}

/** Every driver's kept results, by driver name; a file that cannot be read is a warning, not a failure. */
export async function readDriverResults(reportsDir: string): Promise<{ runs: RunResults[]; warnings: string[] }> {
  const root = join(reportsDir, DRIVERS_DIR);
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const runs: RunResults[] = [];
  const warnings: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && DRIVER_NAME.test(e.name))) {
    const file = join(DRIVERS_DIR, entry.name, 'results.json');
    let value: unknown;
    try {
      value = JSON.parse(await readFile(join(reportsDir, file), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        warnings.push(`${file} could not be read (${(error as Error).message}), so its driver has no column`);
      continue;
    }
    if (looksLikeRun(value, entry.name)) runs.push(value);
    else warnings.push(`${file} is not the results of a ${entry.name} run, so its driver has no column`);
  }
  return { runs, warnings };
}

/**
 * The runs to show side by side: this run for its own driver (it is that driver's newest), the
 * kept results for every other driver, in driver-name order so every report lists them alike.
 */
export function runsByDriver(current: RunResults, kept: readonly RunResults[]): RunResults[] {
  const others = kept.filter((r) => r.driver !== current.driver);
  return [current, ...others].sort((a, b) => (a.driver < b.driver ? -1 : a.driver > b.driver ? 1 : 0));
}
