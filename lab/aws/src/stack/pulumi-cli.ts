/**
 * The Automation API drives the `pulumi` CLI (an inline program needs no language host, but
 * every preview, up and destroy is a run of the CLI). It is looked for first, so a machine
 * without it gets one line saying how to install it instead of a stack trace from deep inside;
 * it is never installed from here.
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, MissingToolError } from '@multiclaw-lab/kit';

export const PULUMI_INSTALL = 'https://www.pulumi.com/docs/install/';
export const PULUMI_FIX = `install the Pulumi CLI: curl -fsSL https://get.pulumi.com | sh (or see ${PULUMI_INSTALL})`;

export interface PulumiCli {
  path: string;
  /** the folder holding bin/pulumi, for PulumiCommand.get({ root }) */
  root: string;
}

/** `pulumi` on PATH, else where its installer puts it (~/.pulumi/bin, often not on PATH in a new shell). */
export function findPulumi(env: NodeJS.ProcessEnv = process.env, home = homedir()): PulumiCli | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), join(env.PULUMI_HOME ?? join(home, '.pulumi'), 'bin')];
  for (const dir of dirs) {
    const path = join(dir, 'pulumi');
    if (isExecutable(path)) return { path, root: join(dir, '..') };
  }
  return undefined;
}

export function requirePulumi(env: NodeJS.ProcessEnv = process.env, home = homedir()): PulumiCli {
  const cli = findPulumi(env, home);
  if (!cli) throw new MissingToolError('the pulumi CLI (lab deploy drives it through the Automation API)', PULUMI_FIX);
  return cli;
}

/** `pulumi version`, e.g. v3.190.0; undefined when it does not run. */
export async function pulumiVersion(cli: PulumiCli): Promise<string | undefined> {
  return promisify(execFile)(cli.path, ['version'], { timeout: 15_000 })
    .then(({ stdout }) => stdout.trim())
    .catch(() => undefined);
}
