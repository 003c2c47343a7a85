import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { type CliContext, progressLine } from './context.ts';
import { REPO_ROOT } from './state.ts';
import { formatDoctorReport, runDoctor } from './tools/doctor.ts';
import { installMissing, NeedsRootError } from './tools/install.ts';

/** `lab doctor [--json] [--install]`: exit 0 when everything is there (after installing, with --install). */
export async function doctor(ctx: CliContext, options: { json: boolean; install: boolean }): Promise<number> {
  if (options.install) {
    try {
      const { installed } = await installMissing({ probe: ctx.probe, onProgress: (s) => progressLine(ctx, s.phase, s.detail) });
      progressLine(ctx, 'tools', installed.length ? `installed ${installed.join(', ')}` : 'nothing to install');
    } catch (err) {
      ctx.stderr(`${err instanceof NeedsRootError ? '' : 'install failed: '}${(err as Error).message}\n`);
      // the report below still shows what is there and what is not
    }
  }
  const report = await runDoctor(ctx.probe);
  ctx.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report));
  return report.ok ? 0 : 1;
}

/** `lab report`: where reports/latest is, if a scenario run wrote one. */
export function report(ctx: CliContext, root = REPO_ROOT): number {
  const latest = join(root, 'reports', 'latest');
  if (!existsSync(latest)) {
    ctx.stdout(`no report yet: scenario runs (pnpm lab run) write ${latest}/\n`);
    return 0;
  }
  const index = join(latest, 'index.html');
  ctx.stdout(`${existsSync(index) ? index : latest}${existsSync(index) ? '' : '/'}  (${realpathSync(latest)})\n`);
  return 0;
}
