import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import type { RunResults } from '../model.ts';
import type { MutationRun } from '../mutate/model.ts';
import { cannotKeep, DRIVERS_DIR, keepDriverResults, readDriverResults, runsByDriver } from './drivers.ts';
import { gatherEvidence } from './evidence.ts';
import { renderHtml } from './html/page.ts';
import { renderJunit } from './junit.ts';
import { refreshLatest } from './latest.ts';
import { renderSummaryText } from './summary-text.ts';

export interface WriteReportOptions {
  /** the folder holding every run's folder, `latest/` and `drivers/` (the repository's `reports/`) */
  reportsDir: string;
  /** evidence path or name → absolute source path, copied into the run folder */
  evidenceFrom?: Record<string, string>;
  /** a folder copied whole to `<run>/evidence/` (the runner's evidence folder; Evidence paths are `evidence/<file>`) */
  evidenceDir?: string;
  /** the newest mutation run, for the report's mutants section */
  mutation?: MutationRun;
}

export interface WrittenReport {
  runDir: string;
  latestDir: string;
  /** what the report could not do (missing or misplaced evidence); also shown at the top of index.html */
  warnings: string[];
}

/** A run id becomes a folder name beside `latest` and `drivers`: one plain path segment, nothing more. */
function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId) || runId === 'latest' || runId === DRIVERS_DIR || runId.includes('..')) {
    throw new LabError('LAB_BAD_RUN_ID', `run id ${JSON.stringify(runId)} cannot name a report folder`, {
      hint: 'use letters, digits, ".", "_" and "-" only (e.g. 2026-11-22T10-00-00Z-a1b2), and not "latest" or "drivers"',
    });
  }
}

/**
 * Writes `reports/<run-id>/` (junit.xml, results.json, index.html, summary.txt, evidence),
 * refreshes `reports/latest/` and keeps the results as its driver's newest in
 * `reports/drivers/<driver>/results.json`. The claims matrix gets a column per driver as soon as
 * another driver's results are kept there.
 */
export async function writeReport(results: RunResults, options: WriteReportOptions): Promise<WrittenReport> {
  checkRunId(results.runId);
  const reportsDir = resolve(options.reportsDir);
  const runDir = join(reportsDir, results.runId);
  await mkdir(runDir, { recursive: true });
  const evidence = await gatherEvidence(results, runDir, { from: options.evidenceFrom, dir: options.evidenceDir });
  const kept = await readDriverResults(reportsDir);
  const problem = cannotKeep(results);
  evidence.warnings.push(...kept.warnings, ...(problem ? [problem] : []));
  const { warnings } = evidence;
  const byDriver = runsByDriver(results, kept.runs);
  await writeFile(join(runDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(runDir, 'junit.xml'), renderJunit(results));
  await writeFile(join(runDir, 'index.html'), renderHtml(results, evidence, options.mutation, byDriver));
  await writeFile(join(runDir, 'summary.txt'), renderSummaryText(results, byDriver));
  const latestDir = await refreshLatest(reportsDir, runDir, results.runId);
  await keepDriverResults(reportsDir, results);
  return { runDir, latestDir, warnings };
}
