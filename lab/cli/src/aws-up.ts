/**
 * `lab up --driver aws --stack NAME`: attaches this folder to a deployed staging stack. Nothing
 * is made or changed on AWS: the stack's outputs are read, every instance must answer an SSM
 * command and the public endpoints /healthz, and what was found becomes the lab's state, so
 * `lab status` lists the hosts and their instances. There is no labd: `lab down` only detaches
 * (the stack keeps running; `lab deploy --destroy` removes it).
 */
import { mkdir } from 'node:fs/promises';
import { PREFIX } from './args.ts';
import { type CliContext, progressLine } from './context.ts';
import { describeAwsFailure } from './deploy.ts';
import { createState, type LabState, readState } from './state.ts';

export const DEFAULT_STACK = 'staging';

export async function upAws(ctx: CliContext, options: { stack?: string }): Promise<number> {
  const stackName = options.stack ?? DEFAULT_STACK;
  const existing = await readState(ctx.paths);
  if (existing) {
    if (existing.driver === 'aws' && existing.aws?.stack === stackName) {
      ctx.stdout(`lab ${existing.prefix} is already attached to stack ${stackName}; nothing to do. See: pnpm lab status\n`);
      return 0;
    }
    ctx.stderr(
      `a ${existing.driver} lab is recorded here (prefix ${existing.prefix}${existing.aws ? `, stack ${existing.aws.stack}` : ''}); take it down first: pnpm lab down\n`,
    );
    return 1;
  }
  const prefix = process.env.LAB_PREFIX || 'mcl';
  if (!PREFIX.test(prefix)) {
    ctx.stderr(`LAB_PREFIX must be a letter then up to 7 letters or digits, not ${JSON.stringify(prefix)}\n`);
    return 1;
  }
  const aws = ctx.aws;
  if (!aws) throw new Error('this command line was built without AWS access');
  progressLine(ctx, 'up', `attaching to AWS stack ${stackName} (nothing on AWS is changed)`);
  let attached: Awaited<ReturnType<typeof aws.attach>>;
  try {
    attached = await aws.attach({ stackName, onProgress: (line) => progressLine(ctx, 'up', line) });
  } catch (err) {
    ctx.stderr(`cannot attach to stack ${stackName}: ${describeAwsFailure(err)}\n`);
    return 1;
  }
  await mkdir(ctx.paths.root, { recursive: true, mode: 0o755 });
  const state: LabState = {
    prefix,
    labdPid: null,
    socket: ctx.paths.socket,
    startedAt: new Date().toISOString(),
    driver: 'aws',
    options: {},
    labStateDir: ctx.paths.labStateDir,
    aws: {
      stack: attached.stack,
      region: attached.region,
      hosts: attached.hosts,
      endpoints: attached.endpoints,
      outputs: attached.outputs,
    },
  };
  if (!(await createState(ctx.paths, state))) {
    ctx.stdout('another `lab up` recorded a lab just now; see: pnpm lab status\n');
    return 0;
  }
  ctx.stdout(
    `lab ${prefix} is attached to stack ${attached.stack} in ${attached.region}: ${attached.hosts.length} instances answer SSM, ` +
      `${attached.endpoints.map((e) => e.name).join(' and ')} answer /healthz. See: pnpm lab status; detach: pnpm lab down\n`,
  );
  return 0;
}
