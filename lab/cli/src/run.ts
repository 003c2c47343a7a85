import { join, resolve } from 'node:path';
import { type RunSummary, RunSummarySchema } from '@multiclaw-lab/scenarios/summary';
import { DEFAULT_DESKTOPS } from './args.ts';
import { DEFAULT_STACK } from './aws-up.ts';
import { labdJob } from './client.ts';
import { type CliContext, progressLine } from './context.ts';
import { describeAwsFailure } from './deploy.ts';
import { downCommand, refuseNotRoot, refuseWithoutDaemon, removeLab } from './down.ts';
import { type DriverName, pickDriver } from './driver-choice.ts';
import { runScenariosOn } from './scenario-run.ts';
import { isLabdAlive, readState } from './state.ts';

/**
 * `lab run [ids] [--tag t]… [--seed N] [--shard i/n]`: runs scenarios (with a shard, only part i
 * of n of the selected ones) on the running lab (inside labd, which owns it), or, with no lab up,
 * on a fresh lab made for this run and taken down after it.
 * Exits 1 if any scenario failed, the canary found a planted secret, or a whole-run checker failed.
 */
const RUN_PREFIX = 'mcr';

export async function run(
  ctx: CliContext,
  command: {
    ids: string[];
    tags: string[];
    seed?: number;
    shard?: { index: number; total: number };
    checkers?: string[];
    scenarios?: false;
    /** the fresh lab's driver, when none is up */
    driver?: DriverName;
    /** with driver aws and nothing attached: the stack attached for this run */
    stack?: string;
  },
): Promise<number> {
  // LAB_REPORTS_DIR is read here, in the shell that asked, not in labd (started by an earlier `lab up`)
  const reportsDir = process.env.LAB_REPORTS_DIR ? resolve(process.env.LAB_REPORTS_DIR) : undefined;
  const request = {
    ids: command.ids,
    tags: command.tags,
    ...(command.seed === undefined ? {} : { seed: command.seed }),
    ...(command.shard === undefined ? {} : { shard: command.shard }),
    ...(command.checkers === undefined ? {} : { checkers: command.checkers }),
    ...(command.scenarios === false ? { scenarios: false as const } : {}),
    ...(reportsDir ? { reportsDir } : {}),
  };
  const state = await readState(ctx.paths);
  if (command.stack !== undefined && command.driver !== 'aws') {
    ctx.stderr('lab run: --stack names an AWS stack to run on; it goes with --driver aws\n');
    return 1;
  }
  let summary: RunSummary | undefined;
  /** the driver of the lab the scenarios ran on, named in the summary below */
  let ranOn: string;
  if (state?.driver === 'aws' || (!state && command.driver === 'aws')) {
    if (state && command.driver && command.driver !== 'aws') {
      ctx.stderr(
        `lab ${state.prefix} is attached to an AWS stack and --driver ${command.driver} asks for another; detach first: pnpm lab down\n`,
      );
      return 1;
    }
    const aws = ctx.aws;
    if (!aws) throw new Error('this command line was built without AWS access');
    const stackName = state?.aws?.stack ?? command.stack ?? DEFAULT_STACK;
    if (command.stack !== undefined && command.stack !== stackName) {
      ctx.stderr(`lab run: stack ${stackName} is attached, not ${command.stack}; detach first: pnpm lab down\n`);
      return 1;
    }
    let outputs = state?.aws?.outputs;
    if (!outputs) {
      progressLine(ctx, 'run', `attaching to AWS stack ${stackName} for this run (nothing on AWS is changed)`);
      try {
        outputs = (await aws.attach({ stackName, onProgress: (line) => progressLine(ctx, 'run', line) })).outputs;
      } catch (err) {
        ctx.stderr(`lab run: cannot attach to stack ${stackName}: ${describeAwsFailure(err)}\n`);
        return 1;
      }
    }
    ranOn = 'aws';
    progressLine(
      ctx,
      'run',
      `on AWS stack ${stackName}: the lab's clients start on its instances, its own services are followed and never restarted`,
    );
    try {
      summary = await aws.runScenarios({
        outputs,
        prefix: state?.prefix ?? RUN_PREFIX,
        stateDir: join(ctx.paths.root, 'aws-run'),
        run: (lab) => runScenariosOn(lab, request, (text) => progressLine(ctx, 'run', text)),
        onProgress: (line) => progressLine(ctx, 'run', line),
      });
    } catch (err) {
      ctx.stderr(`lab run on stack ${stackName}: ${describeAwsFailure(err)}\n`);
      return 1;
    }
  } else if (state && isLabdAlive(state.labdPid)) {
    if (command.driver && command.driver !== state.driver) {
      ctx.stderr(
        `a ${state.driver} lab is up (prefix ${state.prefix}) and --driver ${command.driver} asks for another; leave out --driver to run on it, or take it down first: ${downCommand(state.driver)}\n`,
      );
      return 1;
    }
    progressLine(ctx, 'run', `on the running ${state.driver} lab ${state.prefix}`);
    ranOn = state.driver;
    const job = await labdJob(state.socket, '/run', request, (text) => progressLine(ctx, 'run', text));
    const parsed = 'done' in job ? RunSummarySchema.safeParse(job.done) : undefined;
    if (!parsed?.success) {
      const why = 'error' in job ? job.error : `labd sent a result this CLI does not understand: ${parsed?.error.message}`;
      ctx.stderr(`lab run: ${why}\n`);
      return 1;
    }
    summary = parsed.data;
  } else {
    if (state) {
      ctx.stderr(
        `the lab ${state.prefix} is broken (its labd is not running); clean it up first: ${downCommand(state.driver)}\n`,
      );
      return 1;
    }
    const driver = pickDriver(ctx, command.driver);
    ranOn = driver;
    if (driver === 'netns' && !ctx.isRoot) return refuseNotRoot(ctx, 'run');
    if (driver === 'docker' && (await refuseWithoutDaemon(ctx))) return 1;
    progressLine(ctx, 'run', `no lab is up: starting a fresh ${driver} lab for this run`);
    const { startLab, driver: driverFactory } = await ctx.loadLab();
    const stateDir = join(ctx.paths.root, 'run-lab');
    // leftovers of an earlier run that was killed
    await removeLab(ctx, driver, RUN_PREFIX, stateDir);
    const lab = await startLab({
      prefix: RUN_PREFIX,
      stateDir,
      driver: await driverFactory(driver),
      desktops: DEFAULT_DESKTOPS,
      onProgress: (p) => progressLine(ctx, p.phase, p.detail),
    });
    try {
      summary = await runScenariosOn(lab, request, (text) => progressLine(ctx, 'run', text));
    } finally {
      progressLine(ctx, 'run', 'taking the run lab down');
      await lab.down();
    }
  }
  const c = summary.claims;
  const shard = summary.shard;
  ctx.stdout(
    (shard
      ? `shard ${shard.index}/${shard.total}: ${summary.passed + summary.failed + summary.skipped} of ${shard.selected} selected scenarios (claims and canary: this shard only)\n`
      : '') +
      `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped (seed ${summary.seed})\n` +
      `driver: ${ranOn}\n` +
      `claims: ${c.verified} verified, ${c.failed} failed, ${c.untested} untested, ${c.untestable} untestable, ${c.contradiction} documented contradictions\n` +
      `secret canary: ${summary.canaryHits === 0 ? 'no planted secret found in plaintext' : `${summary.canaryHits} HITS`}\n` +
      (summary.checkersFailed > 0 ? `checkers: ${summary.checkersFailed} FAILED\n` : '') +
      summary.failures.map((f) => `FAILED ${f.id}: ${f.message}\n`).join('') +
      `report: ${join(summary.runDir, 'index.html')}\n`,
  );
  return summary.failed > 0 || summary.canaryHits > 0 || summary.checkersFailed > 0 ? 1 : 0;
}
