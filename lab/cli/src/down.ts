import { LabdUnreachableError, labdRequest } from './client.ts';
import { type CliContext, progressLine } from './context.ts';
import { isLabdAlive, type LabState, readState, removeState } from './state.ts';

const DEFAULT_PREFIX = 'mcl';

/** Waits until `pid` is gone. labd is not our child here, so there is no exit event to await. */
async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isLabdAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Removes what a lab with this prefix made, without its supervisor: ends labd if it is still
 * there, then the Lab's teardown finds everything by prefix (namespaces, their processes,
 * /etc/netns entries, run files), and the state goes.
 */
export async function teardownWithoutLabd(
  ctx: CliContext,
  state: Pick<LabState, 'prefix' | 'labdPid' | 'labStateDir'>,
): Promise<string[]> {
  if (state.labdPid !== null && isLabdAlive(state.labdPid)) {
    progressLine(ctx, 'down', `stopping labd (pid ${state.labdPid})`);
    process.kill(state.labdPid, 'SIGTERM');
    if (!(await waitForExit(state.labdPid, 10_000))) process.kill(state.labdPid, 'SIGKILL');
  }
  progressLine(ctx, 'down', `removing everything with prefix ${state.prefix}`);
  const { teardownLab } = await ctx.loadLab();
  const { removed } = await teardownLab({ prefix: state.prefix, stateDir: state.labStateDir });
  await removeState(ctx.paths);
  return removed;
}

export async function down(ctx: CliContext, options: { prefix?: string } = {}): Promise<number> {
  const state = await readState(ctx.paths);
  if (!state) {
    if (options.prefix) {
      if (!ctx.isRoot) return refuseNotRoot(ctx);
      const removed = await teardownWithoutLabd(ctx, {
        prefix: options.prefix,
        labdPid: null,
        labStateDir: ctx.paths.labStateDir,
      });
      ctx.stdout(
        removed.length
          ? `removed ${removed.length} things with prefix ${options.prefix}\n`
          : `nothing with prefix ${options.prefix} was left\n`,
      );
      return 0;
    }
    ctx.stdout('no lab is up (nothing to take down)\n');
    const leftovers = (await ctx.listNamespaces()).filter((ns) => ns.startsWith(`${DEFAULT_PREFIX}-`));
    if (leftovers.length > 0) {
      ctx.stderr(
        `but namespaces of an unrecorded lab exist (${leftovers.join(', ')}); remove them with: sudo pnpm lab down --prefix ${DEFAULT_PREFIX}\n`,
      );
    }
    return 0;
  }
  if (!ctx.isRoot) return refuseNotRoot(ctx);

  if (state.labdPid !== null && isLabdAlive(state.labdPid)) {
    progressLine(ctx, 'down', `asking labd (pid ${state.labdPid}) to take lab ${state.prefix} down`);
    try {
      await labdRequest(state.socket, 'POST', '/down', undefined, 10 * 60_000);
      if (!(await waitForExit(state.labdPid, 10_000))) process.kill(state.labdPid, 'SIGKILL');
      await removeState(ctx.paths);
      ctx.stdout(`lab ${state.prefix} is down\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof LabdUnreachableError)) throw err;
      progressLine(ctx, 'down', `labd does not answer (${err.message}); cleaning up without it`);
    }
  } else {
    progressLine(
      ctx,
      'down',
      `labd (pid ${state.labdPid ?? 'none'}) is not running; cleaning up lab ${state.prefix} by its prefix`,
    );
  }
  const removed = await teardownWithoutLabd(ctx, state);
  ctx.stdout(`lab ${state.prefix} is down${removed.length ? ` (removed ${removed.length} leftovers)` : ''}\n`);
  return 0;
}

export function refuseNotRoot(ctx: CliContext, command = 'down'): number {
  ctx.stderr(`the netns driver needs root: sudo pnpm lab ${command}\n`);
  return 1;
}
