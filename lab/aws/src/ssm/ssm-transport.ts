/**
 * InstanceTransport over AWS Systems Manager: run() is Run Command (run-command.ts), stream() a
 * Session Manager session through the user's AWS CLI (session.ts, stream-entry.ts). Lab host ids
 * become instance ids by tags at every call (instances.ts), so a replaced instance is found.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import type { BackoffOptions } from '@multiclaw-lab/kit';
import type { ExecResult } from '@multiclaw-lab/network';
import type { InstanceCommand, InstanceTransport } from '../transport.ts';
import { type AwsClientOptions, type AwsClients, awsClients } from './clients.ts';
import { InstanceDirectory, type ResolvedHost } from './instances.ts';
import { DEFAULT_POLL, runCommand } from './run-command.ts';
import type { StreamRequest } from './stream-entry.ts';

export const STREAM_ENTRY = fileURLToPath(new URL('./stream-entry.ts', import.meta.url));

/** How long a script may run when the caller names no timeout. */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000;

export interface SsmTransportOptions extends AwsClientOptions {
  /** the value of STACK_TAG on the stack's instances */
  stack: string;
  /** the stack's command output bucket (outputs.commandOutputBucket) */
  outputBucket: string;
  /** key prefix under which this transport's command output goes (default `run-command`) */
  keyPrefix?: string;
  poll?: BackoffOptions;
}

export class SsmTransport implements InstanceTransport {
  readonly where: string;
  readonly #options: SsmTransportOptions;
  readonly #clients: AwsClients;
  readonly #directory: InstanceDirectory;

  constructor(options: SsmTransportOptions) {
    this.#options = options;
    this.#clients = awsClients(options);
    this.#directory = new InstanceDirectory(this.#clients.ec2, options.stack);
    this.where = `SSM in ${options.region}, stack ${options.stack}`;
  }

  /** A transport for a deployed stack, from its outputs (readStackOutputs or `lab up --driver aws`'s state). */
  static fromOutputs(outputs: StackOutputs, client: Omit<AwsClientOptions, 'region'> = {}): SsmTransport {
    return new SsmTransport({
      ...client,
      region: outputs.region,
      stack: outputs.stack,
      outputBucket: outputs.commandOutputBucket,
    });
  }

  resolve(hostId: string): Promise<ResolvedHost> {
    return this.#directory.resolve(hostId);
  }

  /** Every running lab host of the stack and its instance. */
  hosts(): Promise<ResolvedHost[]> {
    return this.#directory.all();
  }

  async run(hostId: string, command: InstanceCommand, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const { instanceId } = await this.#directory.resolve(hostId);
    const prefix = (this.#options.keyPrefix ?? 'run-command').replace(/\/+$/, '');
    const { code, stdout, stderr } = await runCommand(
      this.#clients,
      { hostId, instanceId, bucket: this.#options.outputBucket, keyPrefix: `${prefix}/${hostId}` },
      command,
      { timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS, poll: this.#options.poll ?? DEFAULT_POLL },
    );
    return { code, stdout, stderr };
  }

  /**
   * Needs the AWS CLI and the Session Manager plugin on this machine. Credentials reach the CLI
   * through the environment (explicit ones given to this transport are passed on as the
   * AWS_* variables). Killing the child ends the session; the program on the instance may live
   * on until the session's end reaches it.
   */
  stream(hostId: string, command: InstanceCommand): ChildProcess {
    const o = this.#options;
    const request: StreamRequest = {
      region: o.region,
      stack: o.stack,
      hostId,
      script: command.script,
      ...(o.profile ? { profile: o.profile } : {}),
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    };
    const credentials = o.credentials
      ? {
          AWS_ACCESS_KEY_ID: o.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: o.credentials.secretAccessKey,
          ...(o.credentials.sessionToken ? { AWS_SESSION_TOKEN: o.credentials.sessionToken } : {}),
        }
      : {};
    return spawn(process.execPath, [STREAM_ENTRY, JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...credentials },
    });
  }

  close(): void {
    this.#clients.destroy();
  }
}
