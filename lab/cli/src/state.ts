/**
 * Where a lab's supervisor state lives, so every `lab` command from any shell finds the lab:
 * `.lab/` at the repository root unless LAB_STATE_DIR says otherwise.
 */

import { readFileSync } from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import type { DriverName } from './driver-choice.ts';

export interface LabPaths {
  root: string;
  /** prefix, labd pid, socket, start time, options */
  stateFile: string;
  socket: string;
  logs: string;
  labdLog: string;
  /** handed to startLab: the Lab's own hosts/ and run/ folders */
  labStateDir: string;
}

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function labPaths(root = process.env.LAB_STATE_DIR || join(REPO_ROOT, '.lab')): LabPaths {
  const abs = resolve(root);
  return {
    root: abs,
    stateFile: join(abs, 'state.json'),
    socket: join(abs, 'labd.sock'),
    logs: join(abs, 'logs'),
    labdLog: join(abs, 'logs', 'labd.log'),
    labStateDir: join(abs, 'lab'),
  };
}

export interface LabState {
  prefix: string;
  labdPid: number | null;
  socket: string;
  startedAt: string;
  /** what made the lab, so `down` without labd removes it the same way; aws: a deployed stack attached to */
  driver: DriverName;
  options: { sites?: number; desktops?: number; cloudInstances?: number };
  labStateDir: string;
  /** an aws lab: the stack attached to and what was found there (no labd; `down` only detaches) */
  aws?: AwsAttachment;
}

/** What `lab up --driver aws` found on the stack; instance ids as they were then (the group may replace them). */
export interface AwsAttachment {
  stack: string;
  region: string;
  hosts: Array<{ id: string; instanceId: string; role: string; site?: string }>;
  endpoints: Array<{ name: string; url: string }>;
  /** the stack's outputs as read when attaching: `exec` and `logs` work from them, without the pulumi CLI */
  outputs: StackOutputs;
}

/** The state file, or undefined when there is none; an unreadable one counts as none but is reported. */
export async function readState(paths: LabPaths): Promise<LabState | undefined> {
  let text: string;
  try {
    text = await readFile(paths.stateFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as LabState;
    if (typeof state.prefix !== 'string' || !/^[a-z][a-z0-9]{0,7}$/.test(state.prefix)) throw new Error('bad prefix');
    // a state file from before the docker driver existed names no driver: it was a netns lab
    state.driver ??= 'netns';
    if (state.driver !== 'netns' && state.driver !== 'docker' && state.driver !== 'aws') throw new Error('bad driver');
    if (state.driver === 'aws' && (typeof state.aws?.stack !== 'string' || typeof state.aws.outputs !== 'object'))
      throw new Error('aws lab without its stack and outputs');
    return state;
  } catch {
    throw new Error(`${paths.stateFile} is not a lab state file; look at it, then remove it and run pnpm lab down again`);
  }
}

/** Creates the state file only if there is none: two `lab up` at once cannot both win. */
export async function createState(paths: LabPaths, state: LabState): Promise<boolean> {
  try {
    const handle = await open(paths.stateFile, 'wx', 0o600);
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export async function updateState(paths: LabPaths, state: LabState): Promise<void> {
  await writeFile(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function removeState(paths: LabPaths): Promise<void> {
  await rm(paths.stateFile, { force: true });
  await rm(paths.socket, { force: true });
}

/**
 * Whether `pid` is still our supervisor. A bare "is pid alive" is not enough: after a reboot
 * or a long time the number may belong to another program, so its command line must name labd.
 */
export function isLabdAlive(pid: number | null): boolean {
  if (pid === null || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // a zombie has an empty command line: it is dead for our purposes
    return cmdline.includes('labd');
  } catch {
    return false;
  }
}
