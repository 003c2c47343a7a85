import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { DEFAULT_DESKTOPS, PREFIX } from './args.ts';
import { upAws } from './aws-up.ts';
import { type CliContext, progressLine } from './context.ts';
import { refuseNotRoot, refuseWithoutDaemon, teardownWithoutLabd } from './down.ts';
import { announceDriver, type BuiltDriver, builtDriver, type DriverName } from './driver-choice.ts';
import { createState, isLabdAlive, type LabState, readState, updateState } from './state.ts';
import { followLines } from './tail.ts';
import { toolsFor } from './tools/catalog.ts';
import { runDoctor } from './tools/doctor.ts';
import { installMissing } from './tools/install.ts';

export interface UpOptions {
  /** --driver; absent: LAB_DRIVER, then the machine (driver-choice.ts) */
  driver?: DriverName;
  sites?: number;
  desktops?: number;
  /** cloud processes behind HAProxy on the cloud host */
  cloudInstances?: number;
  /** a catalogued defect the lab's services run with */
  mutant?: string;
  /** aws: the deployed stack to attach to */
  stack?: string;
}

type LabdOutcome =
  | { kind: 'ready'; healthy: boolean; unhealthy: Array<{ id: string; detail: string }>; hosts: number; services: number }
  | { kind: 'failed'; reason: string }
  | { kind: 'timeout' };

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The reason labd gave for failing, from its log, or its exit status when it left none. */
async function failureReason(logFile: string, from: number, child: ChildProcess): Promise<string> {
  const text = (await readFile(logFile)).subarray(from).toString('utf8');
  const failed = text
    .split('\n')
    .map(parseLine)
    .findLast((l) => l?.event === 'up.failed');
  if (failed) return String(failed.error);
  const tail = text.trim().split('\n').slice(-5).join('\n');
  return `labd exited (code ${child.exitCode}, signal ${child.signalCode})${tail ? `; its last output:\n${tail}` : ''}`;
}

/**
 * Follows labd's log from where this `up` started it, printing progress, until labd says the
 * lab is ready, says it failed, or exits.
 */
async function waitForLabd(ctx: CliContext, child: ChildProcess, from: number): Promise<LabdOutcome> {
  const stop = new AbortController();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const timer = setTimeout(() => stop.abort(), ctx.upTimeoutMs);
  let outcome: LabdOutcome | undefined;
  const following = followLines(
    ctx.paths.labdLog,
    from,
    (text) => {
      const line = parseLine(text);
      if (!line || outcome) return;
      if (line.event === 'progress') progressLine(ctx, String(line.phase), String(line.detail));
      else if (line.event === 'up.failed') outcome = { kind: 'failed', reason: String(line.error) };
      else if (line.event === 'ready') {
        outcome = {
          kind: 'ready',
          healthy: line.healthy === true,
          unhealthy: (line.unhealthy as Array<{ id: string; detail: string }>) ?? [],
          hosts: Number(line.hosts),
          services: Number(line.services),
        };
      }
      if (outcome) stop.abort();
    },
    stop.signal,
  );
  await Promise.race([following, exited.then(() => stop.abort())]);
  await following;
  clearTimeout(timer);
  if (outcome) return outcome;
  if (child.exitCode !== null || child.signalCode !== null)
    return { kind: 'failed', reason: await failureReason(ctx.paths.labdLog, from, child) };
  return { kind: 'timeout' };
}

/** netns: what is missing of its tools is installed first (root). docker: the driver builds its images itself. */
async function installTools(ctx: CliContext, driver: BuiltDriver): Promise<boolean> {
  if (driver !== 'netns') return true;
  const tools = toolsFor(driver);
  const report = await runDoctor(ctx.probe, tools);
  if (report.ok) return true;
  progressLine(
    ctx,
    'tools',
    `missing: ${report.tools
      .filter((t) => t.status !== 'ok')
      .map((t) => t.id)
      .join(', ')}; installing`,
  );
  try {
    await installMissing({
      probe: ctx.probe,
      tools,
      onProgress: (s) => progressLine(ctx, s.phase, s.detail),
      ...(ctx.runInstall ? { run: ctx.runInstall } : {}),
    });
    return true;
  } catch (err) {
    ctx.stderr(`cannot bring the lab up: ${(err as Error).message}\n`);
    return false;
  }
}

export async function up(ctx: CliContext, options: UpOptions): Promise<number> {
  const choice = announceDriver(ctx, options.driver);
  if (choice.driver === 'aws') return upAws(ctx, { stack: options.stack });
  if (options.stack !== undefined) {
    ctx.stderr(`--stack names an AWS stack to attach to; it goes with --driver aws, not ${choice.driver}\n`);
    return 1;
  }
  const driver = builtDriver(choice);
  if (driver === 'netns' && !ctx.isRoot) return refuseNotRoot(ctx, 'up');
  if (driver === 'docker' && (await refuseWithoutDaemon(ctx))) return 1;
  // the state folder must be searchable by the service accounts the lab runs as (postgres,
  // squid's proxy); what is private inside it (secrets, logs) has its own modes
  await mkdir(ctx.paths.root, { recursive: true, mode: 0o755 });
  await mkdir(ctx.paths.logs, { recursive: true, mode: 0o700 });

  const existing = await readState(ctx.paths);
  if (existing) {
    if (existing.driver === 'aws') {
      ctx.stdout(
        `lab ${existing.prefix} is attached to AWS stack ${existing.aws?.stack}; detach first (pnpm lab down) to make a ${driver} lab here\n`,
      );
      return 1;
    }
    if (isLabdAlive(existing.labdPid)) {
      ctx.stdout(
        `a lab is already up (prefix ${existing.prefix}, since ${existing.startedAt}, labd pid ${existing.labdPid}); nothing to do. See: pnpm lab status\n`,
      );
      return 0;
    }
    if (existing.driver === 'netns' && !ctx.isRoot) {
      ctx.stderr(
        `the last lab (prefix ${existing.prefix}, netns) lost its supervisor labd; removing it needs root: sudo pnpm lab down\n`,
      );
      return 1;
    }
    progressLine(
      ctx,
      'up',
      `the last lab (prefix ${existing.prefix}, ${existing.driver}) lost its supervisor labd (pid ${existing.labdPid ?? 'none'}); cleaning it up first`,
    );
    await teardownWithoutLabd(ctx, existing);
  }

  if (!(await installTools(ctx, driver))) return 1;

  const prefix = process.env.LAB_PREFIX || 'mcl';
  if (!PREFIX.test(prefix)) {
    ctx.stderr(`LAB_PREFIX must be a letter then up to 7 letters or digits, not ${JSON.stringify(prefix)}\n`);
    return 1;
  }
  const state: LabState = {
    prefix,
    labdPid: null,
    socket: ctx.paths.socket,
    startedAt: new Date().toISOString(),
    driver,
    options: {
      sites: options.sites,
      desktops: options.desktops ?? DEFAULT_DESKTOPS,
      ...(options.cloudInstances === undefined ? {} : { cloudInstances: options.cloudInstances }),
    },
    labStateDir: ctx.paths.labStateDir,
  };
  if (!(await createState(ctx.paths, state))) {
    ctx.stdout('another `lab up` started a lab just now; see: pnpm lab status\n');
    return 0;
  }

  const from = await stat(ctx.paths.labdLog).then(
    (s) => s.size,
    () => 0,
  );
  const args = ['--prefix', prefix, '--lab-state-dir', ctx.paths.labStateDir, '--socket', ctx.paths.socket, '--driver', driver];
  if (options.sites !== undefined) args.push('--sites', String(options.sites));
  args.push('--desktops', String(options.desktops ?? DEFAULT_DESKTOPS));
  if (options.cloudInstances !== undefined) args.push('--cloud-instances', String(options.cloudInstances));
  if (options.mutant !== undefined) args.push('--mutant', options.mutant);
  const logFd = openSync(ctx.paths.labdLog, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = ctx.spawnLabd(args, logFd);
  } finally {
    closeSync(logFd);
  }
  state.labdPid = child.pid ?? null;
  await updateState(ctx.paths, state);
  progressLine(ctx, 'up', `labd started (pid ${child.pid}), bringing ${driver} lab ${prefix} up; its log: ${ctx.paths.labdLog}`);

  const outcome = await waitForLabd(ctx, child, from);
  // after a failure labd is on its way out; let it finish so `status` right after sees it gone
  if (outcome.kind === 'failed' && child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  // labd outlives this command
  child.unref();
  switch (outcome.kind) {
    case 'ready':
      if (outcome.healthy) {
        ctx.stdout(
          `lab ${prefix} is up: ${outcome.hosts} hosts, ${outcome.services} services, all healthy. See: pnpm lab status\n`,
        );
        return 0;
      }
      ctx.stderr(
        `lab ${prefix} is up but not healthy:\n${outcome.unhealthy.map((u) => `  ${u.id}: ${u.detail}`).join('\n')}\n` +
          'look with: pnpm lab status, pnpm lab logs <service>; remove it with: pnpm lab down\n',
      );
      return 1;
    case 'failed':
      ctx.stderr(
        `lab ${prefix} did not come up: ${outcome.reason}\nsee pnpm lab logs labd; clear the state and any leftovers with: pnpm lab down\n`,
      );
      return 1;
    case 'timeout':
      ctx.stderr(
        `lab ${prefix} was not up after ${Math.round(ctx.upTimeoutMs / 1000)} s; labd (pid ${child.pid}) keeps trying. Follow: pnpm lab logs labd -f; give up: pnpm lab down\n`,
      );
      return 1;
  }
}
