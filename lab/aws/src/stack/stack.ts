/**
 * The staging stack through the Pulumi Automation API: `lab deploy` (preview or up), `lab deploy
 * --destroy`, and reading a deployed stack's outputs for `lab up --driver aws`. The program is
 * deploy/'s inline program, run in this process (no language host); the `pulumi` CLI does the
 * rest and must be installed (pulumi-cli.ts), with the AWS provider plugin, which it downloads
 * on first use. A stack lives in whatever backend the CLI is logged in to; its config lives in a
 * workspace folder kept between runs (`Pulumi.<stack>.yaml` there): without it every deploy would
 * start from an empty config and draw new keys for a running stack. On a machine without that
 * folder, the config of the stack's last update is fetched from the backend first.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import {
  type ConfigMap,
  LocalWorkspace,
  type OutputMap,
  PulumiCommand,
  type PulumiFn,
  StackNotFoundError as PulumiStackNotFound,
  type Stack,
} from '@pulumi/pulumi/automation/index.js';
import { DeployFailedError, StackNotFoundError, StackOutputsInvalidError } from '../errors.ts';
import { type BuiltArtifacts, deployConfig, PROJECT_NAME, tlsNamesOf } from './config.ts';
import { type PulumiCli, requirePulumi } from './pulumi-cli.ts';

/**
 * What `lab deploy` takes from deploy/: the program, how to build the artifacts, the secrets of
 * a new stack, and the outputs' schema. One seam, so tests (and a deploy/ still being written)
 * can hand in their own.
 */
export interface DeployParts {
  program: PulumiFn;
  buildArtifacts(onProgress: (line: string) => void): Promise<BuiltArtifacts>;
  generateSecrets(): Record<string, string>;
  generateTls?: (names: {
    domain: string;
    llmDomain: string;
  }) => Promise<{ tls: Record<string, string>; secrets: Record<string, string> }>;
  parseOutputs(
    values: Record<string, unknown>,
  ): { success: true; data: StackOutputs } | { success: false; error: { message: string } };
}

export interface DeployOptions {
  stackName: string;
  preview: boolean;
  parts: DeployParts;
  /** the region for a new stack (AWS_REGION); an existing stack keeps its own */
  region?: string;
  onProgress?: (line: string) => void;
  /** the CLI; default: looked up (and refused with how to install it when absent) */
  cli?: PulumiCli;
  /** the stack's workspace folder, kept between runs (its config file is there) */
  workDir: string;
}

async function command(cli: PulumiCli): Promise<PulumiCommand> {
  return PulumiCommand.get({ root: cli.root });
}

async function open(stackName: string, program: PulumiFn, cli: PulumiCli, create: boolean, workDir: string): Promise<Stack> {
  await mkdir(workDir, { recursive: true });
  const args = { stackName, projectName: PROJECT_NAME, program };
  const opts = { pulumiCommand: await command(cli), workDir };
  if (create) return LocalWorkspace.createOrSelectStack(args, opts);
  return LocalWorkspace.selectStack(args, opts).catch((err: unknown) => {
    throw err instanceof PulumiStackNotFound || /no stack named/i.test(String(err))
      ? new StackNotFoundError(stackName, err)
      : err;
  });
}

/** where a stack's config file is in its workspace folder */
export function stackConfigFile(workDir: string, stackName: string): string {
  return join(workDir, `Pulumi.${stackName}.yaml`);
}

/**
 * The stack's config as it stands: the workspace's file, or, where this machine has none, the
 * config of the stack's last update (none for a stack never deployed).
 */
export async function currentConfig(
  stack: Pick<Stack, 'name' | 'getAllConfig'> & { workspace: Pick<Stack['workspace'], 'refreshConfig'> },
  workDir: string,
): Promise<ConfigMap> {
  if (existsSync(stackConfigFile(workDir, stack.name))) return stack.getAllConfig();
  return stack.workspace.refreshConfig(stack.name).catch(() => stack.getAllConfig());
}

/** The stack's outputs as the aws driver reads them, checked against deploy's schema. */
export function parseStackOutputs(stackName: string, outputs: OutputMap, parts: Pick<DeployParts, 'parseOutputs'>): StackOutputs {
  if (Object.keys(outputs).length === 0)
    throw new StackOutputsInvalidError(stackName, 'it has no outputs (was it ever deployed? pnpm lab deploy)');
  const values = Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
  const parsed = parts.parseOutputs(values);
  if (!parsed.success) throw new StackOutputsInvalidError(stackName, parsed.error.message);
  return parsed.data;
}

export type DeployResult = { kind: 'preview'; summary: string } | { kind: 'up'; summary: string; outputs: StackOutputs };

function changes(summary: Record<string, number> | undefined): string {
  const entries = Object.entries(summary ?? {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([op, n]) => `${n} ${op}`).join(', ') : 'no changes';
}

/** preview or up; the artifacts are built first (up needs them, and preview shows their upload). */
export async function deployStack(options: DeployOptions): Promise<DeployResult> {
  const progress = options.onProgress ?? (() => undefined);
  const cli = options.cli ?? requirePulumi();
  const { parts, stackName } = options;
  progress(`building the artifacts (Node binary, components bundle)`);
  const artifacts = await parts.buildArtifacts(progress);
  progress(`opening stack ${stackName} (project ${PROJECT_NAME})`);
  const stack = await open(stackName, parts.program, cli, true, options.workDir);
  const existing = await currentConfig(stack, options.workDir);
  const tlsNames = tlsNamesOf(existing);
  if (tlsNames && parts.generateTls) progress(`making the stack's TLS material (a CA for ${tlsNames.domain} and its leaves)`);
  const newTls = tlsNames && parts.generateTls ? await parts.generateTls(tlsNames) : undefined;
  await stack.setAllConfig(
    deployConfig({
      existing,
      artifacts,
      ...(options.region ? { region: options.region } : {}),
      generateSecrets: parts.generateSecrets,
      ...(newTls ? { newTls } : {}),
    }),
  );
  const onOutput = (text: string) => {
    for (const line of text.split('\n')) if (line.trim()) progress(line.trimEnd());
  };
  try {
    if (options.preview) {
      const result = await stack.preview({ onOutput });
      return { kind: 'preview', summary: changes(result.changeSummary as Record<string, number>) };
    }
    const result = await stack.up({ onOutput });
    const outputs = parseStackOutputs(stackName, result.outputs, parts);
    return { kind: 'up', summary: changes(result.summary.resourceChanges as Record<string, number> | undefined), outputs };
  } catch (err) {
    if (err instanceof StackOutputsInvalidError) throw err;
    throw new DeployFailedError(options.preview ? 'preview' : 'up', stackName, err);
  }
}

/** Removes every resource of the stack (the stack itself and its config stay, for a later deploy). */
export async function destroyStack(options: {
  stackName: string;
  program: PulumiFn;
  onProgress?: (line: string) => void;
  cli?: PulumiCli;
  workDir: string;
}): Promise<string> {
  const cli = options.cli ?? requirePulumi();
  const stack = await open(options.stackName, options.program, cli, false, options.workDir);
  try {
    const result = await stack.destroy({
      onOutput: (text) => {
        for (const line of text.split('\n')) if (line.trim()) options.onProgress?.(line.trimEnd());
      },
    });
    return changes(result.summary.resourceChanges as Record<string, number> | undefined);
  } catch (err) {
    throw new DeployFailedError('destroy', options.stackName, err);
  }
}

/** A deployed stack's outputs (`pulumi stack output`), checked. */
export async function readStackOutputs(options: {
  stackName: string;
  parts: Pick<DeployParts, 'program' | 'parseOutputs'>;
  cli?: PulumiCli;
  workDir: string;
}): Promise<StackOutputs> {
  const cli = options.cli ?? requirePulumi();
  const stack = await open(options.stackName, options.parts.program, cli, false, options.workDir);
  return parseStackOutputs(options.stackName, await stack.outputs(), options.parts);
}
