/**
 * `lab load <profile>`: a bounded load run on the running lab, inside labd (which owns the lab),
 * with its progress shown as it comes; the outcome of every threshold and where the report is
 * are printed at the end. Exits 1 when a threshold failed or the run could not be made.
 */
import { resolve } from 'node:path';
import { labdJob } from './client.ts';
import { type CliContext, progressLine } from './context.ts';
import type { LoadRequest, LoadSummary } from './labd-api.ts';
import { isLabdAlive, readState } from './state.ts';

export async function load(ctx: CliContext, command: Omit<LoadRequest, 'reportsDir'>): Promise<number> {
  const state = await readState(ctx.paths);
  if (!state || !isLabdAlive(state.labdPid)) {
    ctx.stderr(
      state?.driver === 'aws'
        ? `lab load: lab ${state.prefix} is attached to an AWS stack, where load does not run yet; use a lab of this machine: pnpm lab down && pnpm lab up\n`
        : 'lab load: no lab is up; bring one up first: pnpm lab up\n',
    );
    return 1;
  }
  const reportsDir = process.env.LAB_REPORTS_DIR ? resolve(process.env.LAB_REPORTS_DIR) : undefined;
  const request = { ...command, ...(reportsDir ? { reportsDir } : {}) };
  progressLine(ctx, 'load', `${command.profile} on the running ${state.driver} lab ${state.prefix}`);
  const job = await labdJob(state.socket, '/load', request, (text) => progressLine(ctx, 'load', text));
  if ('error' in job) {
    ctx.stderr(`lab load: ${job.error}\n`);
    return 1;
  }
  const summary = job.done as unknown as LoadSummary;
  const lines = summary.thresholds.map(
    (t) => `${t.passed ? 'passed' : 'FAILED'}  ${t.threshold}  (${t.reason ?? `measured ${t.actual}`})\n`,
  );
  ctx.stdout(
    `load ${summary.profile}, ${summary.clients} sessions: ${summary.passed ? 'every threshold passed' : 'a threshold FAILED'}\n` +
      lines.join('') +
      `report: ${resolve(summary.runDir, 'index.html')}\n`,
  );
  return summary.passed ? 0 : 1;
}
