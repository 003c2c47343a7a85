import { PREFIX } from './args.ts';
import { LabdUnreachableError, labdRequest } from './client.ts';
import { type CliContext, progressLine } from './context.ts';
import type { BuiltDriver, DriverName } from './driver-choice.ts';
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

/** Removes a docker lab by its labels (containers, networks, run/ and hosts/), then its secret folders. */
async function teardownDockerByLabel(ctx: CliContext, prefix: string, stateDir: string): Promise<string> {
  const report = await ctx.docker.teardown(prefix, { stateDir });
  // the folders that held secrets and keys go as Lab.down() removes them (the logs stay)
  await (await ctx.loadLab()).removeLabState(stateDir);
  return report.message;
}

/**
 * Removes what a lab with this prefix made, without its supervisor: ends labd if it is still
 * there, then removes everything of the prefix the way its driver made it (netns: namespaces,
 * their processes, /etc/netns entries, run files; docker: every container and network labelled
 * with the prefix), and the state goes.
 */
export async function teardownWithoutLabd(
  ctx: CliContext,
  state: Pick<LabState, 'prefix' | 'labdPid' | 'labStateDir' | 'driver' | 'aws'>,
): Promise<string> {
  if (state.driver === 'aws') {
    await removeState(ctx.paths);
    return detachedFrom(state.aws?.stack ?? '?');
  }
  if (state.labdPid !== null && isLabdAlive(state.labdPid)) {
    progressLine(ctx, 'down', `stopping labd (pid ${state.labdPid})`);
    process.kill(state.labdPid, 'SIGTERM');
    if (!(await waitForExit(state.labdPid, 10_000))) process.kill(state.labdPid, 'SIGKILL');
  }
  const summary = await removeLab(ctx, state.driver, state.prefix, state.labStateDir);
  await removeState(ctx.paths);
  return summary;
}

/** Removes everything a lab of this driver and prefix made, the way that driver made it; says what went. */
export async function removeLab(ctx: CliContext, driver: BuiltDriver, prefix: string, stateDir: string): Promise<string> {
  if (driver === 'docker') {
    progressLine(ctx, 'down', `removing every container and network labelled with prefix ${prefix}`);
    return teardownDockerByLabel(ctx, prefix, stateDir);
  }
  progressLine(ctx, 'down', `removing everything with prefix ${prefix}`);
  const { teardownLab } = await ctx.loadLab();
  const { removed } = await teardownLab({ prefix, stateDir });
  return removed.length ? `removed ${removed.length} leftovers` : 'nothing was left';
}

/**
 * No state recorded, but a prefix named: whatever either driver left with it goes. Namespaces
 * need root (a user is told the command); containers need a daemon that answers.
 */
async function reapByPrefix(ctx: CliContext, prefix: string): Promise<number> {
  let code = 0;
  const stateDir = ctx.paths.labStateDir;
  if (ctx.isRoot) {
    const { teardownLab } = await ctx.loadLab();
    const { removed } = await teardownLab({ prefix, stateDir });
    ctx.stdout(
      removed.length
        ? `netns: removed ${removed.length} things with prefix ${prefix}\n`
        : `netns: nothing with prefix ${prefix} was left\n`,
    );
  } else {
    const namespaces = (await ctx.listNamespaces()).filter((ns) => ns.startsWith(`${prefix}-`));
    if (namespaces.length > 0) {
      ctx.stderr(
        `netns: namespaces with prefix ${prefix} exist (${namespaces.join(', ')}); removing them needs root: sudo pnpm lab down --prefix ${prefix}\n`,
      );
      code = 1;
    } else ctx.stdout(`netns: no namespace with prefix ${prefix}\n`);
  }
  const version = await ctx.docker.daemonVersion();
  if (version) ctx.stdout(`docker: ${await teardownDockerByLabel(ctx, prefix, stateDir)}\n`);
  else ctx.stdout('docker: no Docker daemon answers; no container looked for\n');
  return code;
}

export async function down(ctx: CliContext, options: { prefix?: string } = {}): Promise<number> {
  const state = await readState(ctx.paths);
  if (!state) {
    // a prefix named by the user (--prefix, or LAB_PREFIX as for up) is reaped; the default one only pointed at
    const named = options.prefix ?? (process.env.LAB_PREFIX || undefined);
    if (named !== undefined) {
      if (!PREFIX.test(named)) {
        ctx.stderr(`LAB_PREFIX must be a letter then up to 7 letters or digits, not ${JSON.stringify(named)}\n`);
        return 1;
      }
      progressLine(ctx, 'down', `no lab is up (no state in ${ctx.paths.root}); removing whatever has prefix ${named}`);
      return reapByPrefix(ctx, named);
    }
    ctx.stdout('no lab is up (nothing to take down)\n');
    const leftovers = (await ctx.listNamespaces()).filter((ns) => ns.startsWith(`${DEFAULT_PREFIX}-`));
    if (leftovers.length > 0) {
      ctx.stderr(
        `but namespaces of an unrecorded lab exist (${leftovers.join(', ')}); remove them with: sudo pnpm lab down --prefix ${DEFAULT_PREFIX}\n`,
      );
    }
    const containers = await ctx.docker.labContainers(DEFAULT_PREFIX);
    if (containers.length > 0) {
      ctx.stderr(
        `but containers of an unrecorded lab exist (${containers.join(', ')}); remove them with: pnpm lab down --prefix ${DEFAULT_PREFIX}\n`,
      );
    }
    return 0;
  }
  if (state.driver === 'aws') {
    // an aws lab is a deployed stack this folder only points at: down forgets it, never destroys it
    await removeState(ctx.paths);
    ctx.stdout(`lab ${state.prefix}: ${detachedFrom(state.aws?.stack ?? '?')}\n`);
    return 0;
  }
  if (state.driver === 'netns' && !ctx.isRoot) return refuseNotRoot(ctx);

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
      `labd (pid ${state.labdPid ?? 'none'}) is not running; cleaning up lab ${state.prefix} by its ${state.driver === 'docker' ? 'labels' : 'prefix'}`,
    );
  }
  const summary = await teardownWithoutLabd(ctx, state);
  ctx.stdout(`lab ${state.prefix} is down (${summary})\n`);
  return 0;
}

export function refuseNotRoot(ctx: CliContext, command = 'down'): number {
  ctx.stderr(`the netns driver needs root: sudo pnpm lab ${command}\n`);
  return 1;
}

/** The docker driver needs a daemon that answers; said before anything is made. */
export async function refuseWithoutDaemon(ctx: CliContext): Promise<boolean> {
  if (await ctx.docker.daemonVersion()) return false;
  ctx.stderr(
    'the docker driver needs a Docker daemon, and none answers; start one by hand: sudo bash scripts/dockerd.sh ' +
      '(a user needs to be in the docker group); see: pnpm lab doctor\n',
  );
  return true;
}

/** How to clean up a lab of this driver, for messages: only netns labs need root. */
export function downCommand(driver: DriverName): string {
  return driver === 'netns' ? 'sudo pnpm lab down' : 'pnpm lab down';
}

/** What `down` says of an aws lab: detached, the stack left as it is. */
export function detachedFrom(stack: string): string {
  return `detached from stack ${stack}; the stack keeps running (remove it with: pnpm lab deploy --destroy --stack ${stack})`;
}
