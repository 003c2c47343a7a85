/**
 * `lab report --drivers`: renders the newest report again with one claims column per driver
 * from `reports/drivers/*`, e.g. after another machine's results were copied in there. Only the
 * pages are rewritten (index.html, summary.txt); results.json and junit.xml stay the run's own.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunResults } from '../model.ts';
import { latestMutationRun } from '../mutate/latest.ts';
import { readDriverResults, runsByDriver } from './drivers.ts';
import { gatherEvidence } from './evidence.ts';
import { renderHtml } from './html/page.ts';
import { renderSummaryText } from './summary-text.ts';

export interface Rerendered {
  /** the index.html files rewritten: latest/ and, when it is still there, the run's own folder */
  pages: string[];
  /** the drivers the claims matrix now has a column for */
  drivers: string[];
  warnings: string[];
}

/** Written beside its place and renamed over it: a reader never sees half a page. */
async function replaceFile(path: string, text: string): Promise<void> {
  const incoming = `${path}.incoming-${process.pid}`;
  await writeFile(incoming, text);
  try {
    await rename(incoming, path);
  } catch (error) {
    await rm(incoming, { force: true });
    throw error;
  }
}

const isDir = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** Undefined when there is no latest report to render again. */
export async function rerenderWithDrivers(reportsDirInput: string): Promise<Rerendered | undefined> {
  const reportsDir = resolve(reportsDirInput);
  const latestDir = join(reportsDir, 'latest');
  let results: RunResults;
  try {
    results = JSON.parse(await readFile(join(latestDir, 'results.json'), 'utf8')) as RunResults;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const kept = await readDriverResults(reportsDir);
  const byDriver = runsByDriver(results, kept.runs);
  const mutation = await latestMutationRun(reportsDir);
  const runDir = join(reportsDir, results.runId);
  const dirs = [latestDir, ...(results.runId !== 'latest' && (await isDir(runDir)) ? [runDir] : [])];
  const warnings = [...kept.warnings];
  for (const dir of dirs) {
    // nothing is copied: the evidence is looked up where the run left it
    const evidence = await gatherEvidence(results, dir);
    if (dir === latestDir) warnings.push(...evidence.warnings);
    evidence.warnings.push(...kept.warnings);
    await replaceFile(join(dir, 'index.html'), renderHtml(results, evidence, mutation, byDriver));
    await replaceFile(join(dir, 'summary.txt'), renderSummaryText(results, byDriver));
  }
  return { pages: dirs.map((d) => join(d, 'index.html')), drivers: byDriver.map((r) => r.driver), warnings };
}
