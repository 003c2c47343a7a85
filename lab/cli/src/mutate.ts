/**
 * `lab mutate [ids] [--tag t]… [--list]`: proves the suite can fail. For each catalogued mutant
 * (a deliberate defect in one component), a fresh lab runs with it on and the scenarios naming its
 * claims must fail a check of those claims. Writes reports/mutants/; exits 1 unless every selected
 * mutant was killed. Runs beside a lab that is up (its own prefix and state folder).
 */
import { join, resolve } from 'node:path';
import { MUTANTS } from '@multiclaw-lab/protocol';
import { DEFAULT_DESKTOPS } from './args.ts';
import { type CliContext, progressLine } from './context.ts';
import { refuseNotRoot, refuseWithoutDaemon, removeLab } from './down.ts';
import { type DriverName, pickDriver } from './driver-choice.ts';
import { REPO_ROOT } from './state.ts';

const MUTATE_PREFIX = 'mcm';

function list(ctx: CliContext): number {
  const width = Math.max(...MUTANTS.map((m) => m.id.length));
  for (const m of MUTANTS) {
    ctx.stdout(
      `${m.id.padEnd(width)}  [${m.components.join(',')}] ${m.defect} (claims ${m.claims.join(', ')}; tags ${m.tags.join(', ')})\n`,
    );
  }
  ctx.stdout(`${MUTANTS.length} mutants\n`);
  return 0;
}

export async function mutate(
  ctx: CliContext,
  command: { ids: string[]; tags: string[]; list: boolean; seed?: number; driver?: DriverName },
): Promise<number> {
  if (command.list) return list(ctx);
  const driver = pickDriver(ctx, command.driver);
  if (driver === 'netns' && !ctx.isRoot) return refuseNotRoot(ctx, 'mutate');
  if (driver === 'docker' && (await refuseWithoutDaemon(ctx))) return 1;
  const [{ runMutation, selectMutants }, core, { driver: factoryFor }] = await Promise.all([
    import('@multiclaw-lab/scenarios'),
    import('@multiclaw-lab/core'),
    ctx.loadLab(),
  ]);
  const driverFactory = await factoryFor(driver);
  const mutants = selectMutants({ ids: command.ids, tags: command.tags });
  const prefix = process.env.LAB_PREFIX || MUTATE_PREFIX;
  const stateDir = join(ctx.paths.root, 'mutate-lab');
  const reportsDir = process.env.LAB_REPORTS_DIR ? resolve(process.env.LAB_REPORTS_DIR) : join(REPO_ROOT, 'reports');
  progressLine(ctx, 'mutate', `${mutants.length} mutants, each on a fresh lab ${prefix}`);
  const { run, runDir } = await runMutation({
    mutants,
    reportsDir,
    ...(command.seed === undefined ? {} : { seed: command.seed }),
    onProgress: (text) => progressLine(ctx, 'mutate', text),
    makeLab: async (mutant) => {
      // leftovers of a run that was killed
      await removeLab(ctx, driver, prefix, stateDir);
      return core.startLab({
        prefix,
        stateDir,
        driver: driverFactory,
        desktops: DEFAULT_DESKTOPS,
        cloudInstances: mutant.cloudInstances ?? 1,
        mutant: mutant.id,
        onProgress: (p) => progressLine(ctx, p.phase, `${mutant.id}: ${p.detail}`),
      });
    },
  });
  const count = (outcome: string) => run.mutants.filter((m) => m.outcome === outcome).length;
  const unproven = run.claims.filter((c) => c.killedBy.length === 0).length;
  ctx.stdout(
    `${count('killed')} killed, ${count('survived')} survived, ${count('errored')} errored, ${count('no-scenario')} without a scenario (of ${run.mutants.length})\n` +
      run.mutants
        .filter((m) => m.outcome !== 'killed')
        .map(
          (m) =>
            `NOT KILLED ${m.id} (${m.outcome}): ${m.error ?? m.scenarios.map((s) => `${s.id} ${s.status}${s.message ? `: ${s.message}` : ''}`).join('; ')}\n`,
        )
        .join('') +
      `claims the suite verifies with no killed mutant: ${unproven} of ${run.claims.length}\n` +
      `report: ${join(runDir, 'index.html')}\n`,
  );
  return run.mutants.every((m) => m.outcome === 'killed') ? 0 : 1;
}
