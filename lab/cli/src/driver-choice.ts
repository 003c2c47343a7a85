/**
 * Which driver makes a lab: `--driver`, else LAB_DRIVER, else what this machine can run without
 * asking: network namespaces when root on Linux (the fastest, and what the lab was built on),
 * containers otherwise (a Docker daemon needs no root from a docker-group user).
 */
import type { DriverName } from '@multiclaw-lab/network';
import type { CliContext } from './context.ts';

export type { DriverName };

/** The drivers that make a lab; aws attaches to a deployed stack instead (`lab up --driver aws --stack NAME`). */
export type BuiltDriver = Exclude<DriverName, 'aws'>;

export const DRIVER_NAMES: readonly DriverName[] = ['netns', 'docker', 'aws'];

export interface DriverChoice {
  driver: DriverName;
  /** why this one, for the `driver: docker (LAB_DRIVER)` line */
  reason: string;
}

export class DriverChoiceError extends Error {
  override readonly name = 'DriverChoiceError';
}

export function isDriverName(value: string): value is DriverName {
  return (DRIVER_NAMES as readonly string[]).includes(value);
}

export function chooseDriver(input: {
  /** the value of --driver, when given (the parser has checked it) */
  flag?: DriverName;
  /** the value of LAB_DRIVER; empty counts as unset */
  env?: string;
  isRoot: boolean;
  platform: NodeJS.Platform;
}): DriverChoice {
  if (input.flag) return { driver: input.flag, reason: '--driver' };
  if (input.env) {
    if (!isDriverName(input.env))
      throw new DriverChoiceError(`LAB_DRIVER is netns, docker or aws, not ${JSON.stringify(input.env)}`);
    return { driver: input.env, reason: 'LAB_DRIVER' };
  }
  if (input.platform !== 'linux') return { driver: 'docker', reason: `not Linux (${input.platform}): no network namespaces` };
  if (input.isRoot) return { driver: 'netns', reason: 'root on Linux' };
  return { driver: 'docker', reason: 'not root; the netns driver needs root' };
}

/** The one line a command prints before it makes a lab. */
export function describeChoice(choice: DriverChoice): string {
  return `${choice.driver} (${choice.reason})`;
}

/** Why the aws driver cannot make a lab for a command (run, mutate): what is missing, what to use. */
export const AWS_MAKES_NO_LAB =
  'the aws driver makes no lab of its own: it attaches to a stack deployed with pnpm lab deploy; attach with ' +
  'pnpm lab up --driver aws --stack NAME, then pnpm lab run runs the scenarios there. For a lab of this machine use ' +
  '--driver netns (Linux, root) or --driver docker (a Docker daemon, no root)';

/** A driver that makes labs, or the reason the choice cannot make one. */
export function builtDriver(choice: DriverChoice): BuiltDriver {
  if (choice.driver === 'aws') throw new DriverChoiceError(AWS_MAKES_NO_LAB);
  return choice.driver;
}

/**
 * The driver for a command that makes a lab (up, run on a fresh lab, mutate): chosen, said on one
 * progress line, and refused when it is not built.
 */
export function pickDriver(ctx: Pick<CliContext, 'isRoot' | 'stderr'>, flag: DriverName | undefined): BuiltDriver {
  return builtDriver(announceDriver(ctx, flag));
}

/** The choice, said on one progress line (aws included: `lab up` attaches with it). */
export function announceDriver(ctx: Pick<CliContext, 'isRoot' | 'stderr'>, flag: DriverName | undefined): DriverChoice {
  const choice = chooseDriver({ flag, env: process.env.LAB_DRIVER, isRoot: ctx.isRoot, platform: process.platform });
  // the same `[lab] phase: detail` shape as progressLine, on stderr so stdout stays results only
  ctx.stderr(`[lab] driver: ${describeChoice(choice)}\n`);
  return choice;
}
