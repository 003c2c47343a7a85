/**
 * `lab report --drivers`: renders reports/latest again with one claims column per driver, from
 * the newest results each driver left in reports/drivers/<driver>/results.json (a run keeps them
 * there; results from another machine can be copied in by hand). LAB_REPORTS_DIR overrides
 * reports/, as for `lab run`.
 */
import { join, resolve } from 'node:path';
import type { CliContext } from './context.ts';
import { REPO_ROOT } from './state.ts';

export async function reportDrivers(ctx: CliContext, root = REPO_ROOT): Promise<number> {
  const reportsDir = process.env.LAB_REPORTS_DIR ? resolve(process.env.LAB_REPORTS_DIR) : join(root, 'reports');
  // the report writer lives in the scenarios package, loaded only for this command
  const { rerenderWithDrivers } = await import('@multiclaw-lab/scenarios');
  const done = await rerenderWithDrivers(reportsDir);
  if (!done) {
    ctx.stdout(`no report yet: scenario runs (pnpm lab run) write ${join(reportsDir, 'latest')}/\n`);
    return 0;
  }
  const columns =
    done.drivers.length > 1
      ? `one claims column per driver: ${done.drivers.join(', ')}`
      : `only ${done.drivers[0]} has results (${join(reportsDir, 'drivers')}/): one claims column`;
  ctx.stdout(`${columns}\n${done.warnings.map((w) => `warning: ${w}\n`).join('')}${done.pages.map((p) => `${p}\n`).join('')}`);
  return 0;
}
