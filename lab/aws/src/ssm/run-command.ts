/**
 * One script through SSM Run Command, to its end: SendCommand with the AWS-RunShellScript
 * document, wait for a final status, read the output in full, map the status to an exit code or
 * to the error that says why the script did not run.
 *
 * - The script goes as ONE element of the document's `commands` list: the SSM agent joins the
 *   elements with newlines into a script file and runs that with sh, so a multi-line script
 *   arrives as written (amazon-ssm-agent, pluginutil.CreateScriptFile).
 * - GetCommandInvocation returns only the first 24,000 characters of stdout and 8,000 of stderr
 *   (API reference, GetCommandInvocation: StandardOutputContent, StandardErrorContent); the
 *   agent marks a cut with the suffix `--output truncated--` (its DefaultPluginConfig). The full
 *   text is in the command output bucket, which SendCommand names; a cut output is read there.
 * - A script that exits non-zero ends in status Failed with its exit status as ResponseCode:
 *   that is a result (code N), not an error. Every other unhappy end is an error.
 */
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { type BackoffOptions, backoffDelay } from '@multiclaw-lab/kit';
import type { ExecResult } from '@multiclaw-lab/network';
import { AwsApiError, SsmCommandFailedError, SsmCommandTimeoutError, SsmOutputMissingError } from '../errors.ts';
import type { InstanceCommand } from '../transport.ts';

export const RUN_SHELL_SCRIPT = 'AWS-RunShellScript';
/** what the agent appends to an output it cut */
export const TRUNCATED_SUFFIX = '--output truncated--';
/** how long SSM may take to hand the command to the instance before it gives up (SendCommand TimeoutSeconds, at least 30) */
export const DELIVERY_TIMEOUT_S = 60;

export interface RunTarget {
  hostId: string;
  instanceId: string;
  /** the stack's command output bucket and the key prefix for this command */
  bucket: string;
  keyPrefix: string;
}

export interface RunOptions {
  timeoutMs: number;
  /** the pause before each status poll after the first: doubling from baseMs up to capMs, with jitter */
  poll?: BackoffOptions;
  /** how long to wait for a final status; default: the script's timeout plus SSM's time to deliver it */
  waitMs?: number;
}

export const DEFAULT_POLL: BackoffOptions = { baseMs: 250, capMs: 5_000 };

/** Statuses after which an invocation changes no more. */
const FINAL = new Set([
  'Success',
  'Failed',
  'TimedOut',
  'Cancelled',
  'Cancelling',
  'Undeliverable',
  'Terminated',
  'DeliveryTimedOut',
]);

class PollDeadline extends Error {
  readonly last: string;
  constructor(last: string) {
    super(`no final status (last: ${last})`);
    this.last = last;
  }
}

/**
 * GetCommandInvocation until a final status. Not the SDK's waitUntilCommandExecuted: that one
 * retries on every error until its deadline (a denied request would wait the whole time), polls
 * no faster than every 5 s by default, and throws on Failed, which for us is a script's non-zero
 * exit. Here an invocation not yet known is asked for again; any other error ends the wait (the
 * SDK has already retried what is transient).
 */
async function pollInvocation(
  ssm: SSMClient,
  commandId: string,
  instanceId: string,
  deadline: number,
  poll: BackoffOptions,
): Promise<GetCommandInvocationCommandOutput> {
  let last = 'not yet known';
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      if (Date.now() >= deadline) throw new PollDeadline(last);
      const pause = Math.min(backoffDelay(attempt, poll), Math.max(0, deadline - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    try {
      const invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      last = invocation.Status ?? 'unknown';
      if (FINAL.has(last)) return invocation;
    } catch (err) {
      // right after SendCommand the invocation may not exist yet
      if ((err as { name?: string }).name !== 'InvocationDoesNotExist') throw err;
    }
  }
}

/** Whether the agent cut this output (it then ends with its suffix). */
export function isTruncated(text: string | undefined): boolean {
  return (text ?? '').endsWith(TRUNCATED_SUFFIX);
}

/** Where the agent puts a plugin's full output: <prefix>/<command id>/<instance id>/awsrunShellScript/0.awsrunShellScript/<stream>. */
export function defaultOutputKey(target: RunTarget, commandId: string, stream: 'stdout' | 'stderr'): string {
  const prefix = target.keyPrefix.replace(/\/+$/, '');
  return `${prefix ? `${prefix}/` : ''}${commandId}/${target.instanceId}/awsrunShellScript/0.awsrunShellScript/${stream}`;
}

/**
 * The key of an output object from the URL GetCommandInvocation gives (path-style
 * `https://s3.<region>.amazonaws.com/<bucket>/<key>` or virtual-hosted `https://<bucket>.s3…/<key>`);
 * undefined when there is no URL, or one that is not in `bucket`.
 */
export function keyFromOutputUrl(url: string | undefined, bucket: string): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(parsed.pathname);
  if (path.startsWith(`/${bucket}/`)) return path.slice(bucket.length + 2) || undefined;
  if (parsed.hostname.startsWith(`${bucket}.`)) return path.slice(1) || undefined;
  return undefined;
}

/** SendCommand's request for one script (exported so tests can compare what moto recorded). */
export function sendCommandInput(command: InstanceCommand, target: RunTarget, timeoutMs: number) {
  const executionTimeout = Math.min(172_800, Math.max(1, Math.ceil(timeoutMs / 1000)));
  return {
    DocumentName: RUN_SHELL_SCRIPT,
    InstanceIds: [target.instanceId],
    // Comment is at most 100 characters; it is what the console and ListCommands show
    Comment: `lab ${target.hostId}: ${command.description}`.slice(0, 100),
    Parameters: { commands: [command.script], executionTimeout: [String(executionTimeout)] },
    TimeoutSeconds: DELIVERY_TIMEOUT_S,
    OutputS3BucketName: target.bucket,
    OutputS3KeyPrefix: target.keyPrefix,
  };
}

/** The final invocation as an exit code, or the error that says why the script did not run to its end. */
export function exitCodeOf(
  invocation: GetCommandInvocationCommandOutput,
  what: string,
  where: string,
  timeoutMs: number,
): number {
  const status = invocation.Status ?? 'unknown';
  const details = invocation.StatusDetails ?? '';
  const code = invocation.ResponseCode;
  if (status === 'Success') return code ?? 0;
  // the script ran and exited non-zero (SSM says Failed for that, with the exit status)
  if (status === 'Failed' && details === 'Failed' && code !== undefined && code >= 0) return code;
  if (status === 'TimedOut' && details !== 'DeliveryTimedOut')
    throw new SsmCommandTimeoutError(what, where, timeoutMs, `SSM status TimedOut (${details || 'ExecutionTimedOut'})`);
  throw new SsmCommandFailedError(
    what,
    where,
    details && details !== status ? `${status}/${details}` : status,
    invocation.StandardErrorContent?.trim() ?? '',
  );
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw new AwsApiError('S3 GetObject', `s3://${bucket}/${key}`, err);
  }
}

/**
 * The full text of a cut output from the bucket. The agent may upload it just after it reports
 * the final status (its upload can run asynchronously), so a missing object is asked for again a
 * few times before giving up.
 */
async function fullOutput(
  s3: S3Client,
  target: RunTarget,
  invocation: GetCommandInvocationCommandOutput,
  stream: 'stdout' | 'stderr',
  what: string,
): Promise<string> {
  const url = stream === 'stdout' ? invocation.StandardOutputUrl : invocation.StandardErrorUrl;
  const key = keyFromOutputUrl(url, target.bucket) ?? defaultOutputKey(target, invocation.CommandId!, stream);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, { baseMs: 500, capMs: 4_000 })));
    const text = await readObject(s3, target.bucket, key);
    if (text !== undefined) return text;
  }
  throw new SsmOutputMissingError(what, stream, `s3://${target.bucket}/${key}`);
}

export async function runCommand(
  clients: { ssm: SSMClient; s3: S3Client },
  target: RunTarget,
  command: InstanceCommand,
  options: RunOptions,
): Promise<ExecResult & { commandId: string }> {
  const where = `${target.hostId} (${target.instanceId})`;
  const what = `"${command.description}"`;
  const input = sendCommandInput(command, target, options.timeoutMs);
  const sent = await clients.ssm.send(new SendCommandCommand(input)).catch((err: unknown) => {
    throw new AwsApiError('SSM SendCommand', where, err);
  });
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new AwsApiError('SSM SendCommand', where, new Error('the answer names no command id'));

  const executionS = Number(input.Parameters.executionTimeout[0]);
  // the script's own time, plus SSM's time to deliver it, plus a margin for the last poll
  const deadline = Date.now() + (options.waitMs ?? (executionS + DELIVERY_TIMEOUT_S + 15) * 1000);
  const invocation = await pollInvocation(
    clients.ssm,
    commandId,
    target.instanceId,
    deadline,
    options.poll ?? DEFAULT_POLL,
  ).catch(async (err: unknown) => {
    if (err instanceof PollDeadline) {
      // stop it on the instance too, so nothing of it runs on after we have given up
      await clients.ssm
        .send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [target.instanceId] }))
        .catch(() => undefined);
      throw new SsmCommandTimeoutError(
        what,
        where,
        options.timeoutMs,
        `no final status from SSM; last: ${err.last}, command ${commandId}`,
      );
    }
    throw new AwsApiError('SSM GetCommandInvocation', `${where}, command ${commandId}`, err);
  });

  const code = exitCodeOf(invocation, what, where, options.timeoutMs);
  const stdout = isTruncated(invocation.StandardOutputContent)
    ? await fullOutput(clients.s3, target, invocation, 'stdout', what)
    : (invocation.StandardOutputContent ?? '');
  const stderr = isTruncated(invocation.StandardErrorContent)
    ? await fullOutput(clients.s3, target, invocation, 'stderr', what)
    : (invocation.StandardErrorContent ?? '');
  return { code, stdout, stderr, commandId };
}
