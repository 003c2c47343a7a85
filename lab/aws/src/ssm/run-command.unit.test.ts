import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { AwsApiError, SsmCommandFailedError, SsmCommandTimeoutError } from '../errors.ts';
import {
  defaultOutputKey,
  exitCodeOf,
  isTruncated,
  keyFromOutputUrl,
  type RunTarget,
  runCommand,
  sendCommandInput,
  TRUNCATED_SUFFIX,
} from './run-command.ts';

/*
 * The statuses moto never gives (it answers every command with Success at once): each unhappy
 * end of an invocation, scripted with the SDK's own middleware stack, which answers a command
 * before anything is sent. Everything else of run-command.ts runs against moto in
 * ssm-transport.test.ts.
 */

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const target: RunTarget = {
  hostId: 'relay',
  instanceId: 'i-0123456789abcdef0',
  bucket: 'out-bucket',
  keyPrefix: 'run-command/relay',
};
const command = { description: 'list the rules', script: 'nft list ruleset\necho done' };
const fast = { baseMs: 1, capMs: 2 };

type Answer = Record<string, unknown> | Error;

/** An SSM client whose answers come from `answer(commandName, input)`, recording every call. */
function scriptedSsm(answer: (name: string, input: Record<string, unknown>) => Answer) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const ssm = new SSMClient({ region: 'eu-west-1', credentials });
  ssm.middlewareStack.add(
    (_next, context) => async (args) => {
      const name = context.commandName ?? '?';
      const input = args.input as Record<string, unknown>;
      calls.push({ name, input });
      const out = answer(name, input);
      if (out instanceof Error) throw out;
      return { output: { $metadata: {}, ...out }, response: {} };
    },
    { step: 'initialize', name: 'scriptedAnswers' },
  );
  return { ssm, calls };
}

const s3 = new S3Client({ region: 'eu-west-1', credentials });

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/** GetCommandInvocation answers in order (the last one repeats); SendCommand answers with a command id. */
function invocations(...answers: Answer[]) {
  let i = 0;
  return scriptedSsm((name) => {
    if (name === 'SendCommandCommand') return { Command: { CommandId: 'c-1' } };
    if (name === 'CancelCommandCommand') return {};
    const a = answers[Math.min(i, answers.length - 1)]!;
    i++;
    return a instanceof Error ? a : { CommandId: 'c-1', ...a };
  });
}

describe('one script through Run Command: the statuses moto never gives', () => {
  it('asks again while the invocation is unknown or running, then gives the exit status of a script that failed', async () => {
    const { ssm, calls } = invocations(
      named('InvocationDoesNotExist'),
      { Status: 'Pending' },
      { Status: 'InProgress' },
      {
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: 2,
        StandardOutputContent: 'half\n',
        StandardErrorContent: 'nft: no such table\n',
      },
    );
    const result = await runCommand({ ssm, s3 }, target, command, { timeoutMs: 5_000, poll: fast });
    expect(result).toEqual({ code: 2, stdout: 'half\n', stderr: 'nft: no such table\n', commandId: 'c-1' });
    expect(calls.map((c) => c.name)).toEqual([
      'SendCommandCommand',
      'GetCommandInvocationCommand',
      'GetCommandInvocationCommand',
      'GetCommandInvocationCommand',
      'GetCommandInvocationCommand',
    ]);
    expect(calls[1]!.input).toEqual({ CommandId: 'c-1', InstanceId: target.instanceId });
  });

  it('a script past its execution timeout is a timeout error, not an exit code', async () => {
    const { ssm } = invocations({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1 });
    const err = await runCommand({ ssm, s3 }, target, command, { timeoutMs: 5_000, poll: fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SsmCommandTimeoutError);
    expect(err).toMatchObject({ code: 'LAB_AWS_COMMAND_TIMEOUT' });
    expect((err as Error).message).toContain('"list the rules" on relay (i-0123456789abcdef0) did not finish within 5000 ms');
  });

  it('undeliverable, cancelled, terminated and never delivered are failures naming the status', async () => {
    for (const [status, details] of [
      ['Failed', 'Undeliverable'],
      ['Cancelled', 'Cancelled'],
      ['Failed', 'Terminated'],
      ['TimedOut', 'DeliveryTimedOut'],
    ] as const) {
      const { ssm } = invocations({ Status: status, StatusDetails: details, ResponseCode: -1 });
      const err = await runCommand({ ssm, s3 }, target, command, { timeoutMs: 5_000, poll: fast }).catch((e: unknown) => e);
      expect(err, `${status}/${details}`).toBeInstanceOf(SsmCommandFailedError);
      expect((err as SsmCommandFailedError).status).toBe(status === details ? status : `${status}/${details}`);
      expect((err as Error).message).toContain('"list the rules" did not run on relay (i-0123456789abcdef0)');
    }
  });

  it('no final status in time: cancels the command on the instance and says how far it got', async () => {
    const { ssm, calls } = invocations({ Status: 'InProgress' });
    const err = await runCommand({ ssm, s3 }, target, command, { timeoutMs: 5_000, poll: fast, waitMs: 30 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SsmCommandTimeoutError);
    expect((err as Error).message).toContain('no final status from SSM; last: InProgress, command c-1');
    expect(calls.at(-1)).toEqual({ name: 'CancelCommandCommand', input: { CommandId: 'c-1', InstanceIds: [target.instanceId] } });
  });

  it('a refused status request ends the wait at once, as an API error naming the request', async () => {
    const { ssm, calls } = invocations(named('AccessDeniedException', 'not authorized to perform ssm:GetCommandInvocation'));
    const err = await runCommand({ ssm, s3 }, target, command, { timeoutMs: 5_000, poll: fast }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsApiError);
    expect((err as Error).message).toContain(
      'SSM GetCommandInvocation failed (relay (i-0123456789abcdef0), command c-1): AccessDeniedException',
    );
    expect(calls.filter((c) => c.name === 'GetCommandInvocationCommand')).toHaveLength(1);
  });
});

describe('what Run Command is sent, and how its answer is read', () => {
  it('sends the script as one element of commands, with the execution timeout in whole seconds and the output bucket', () => {
    expect(sendCommandInput(command, target, 1_500)).toEqual({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['i-0123456789abcdef0'],
      Comment: 'lab relay: list the rules',
      Parameters: { commands: ['nft list ruleset\necho done'], executionTimeout: ['2'] },
      TimeoutSeconds: 60,
      OutputS3BucketName: 'out-bucket',
      OutputS3KeyPrefix: 'run-command/relay',
    });
    expect(sendCommandInput({ description: 'x'.repeat(200), script: 'true' }, target, 10).Comment).toHaveLength(100);
  });

  it('maps final statuses to exit codes', () => {
    expect(exitCodeOf({ $metadata: {}, Status: 'Success', ResponseCode: 0 }, 'x', 'h', 1)).toBe(0);
    expect(exitCodeOf({ $metadata: {}, Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 127 }, 'x', 'h', 1)).toBe(127);
    expect(() => exitCodeOf({ $metadata: {}, Status: 'Failed', StatusDetails: 'Failed', ResponseCode: -1 }, 'x', 'h', 1)).toThrow(
      SsmCommandFailedError,
    );
  });

  it('knows a cut output by the suffix the agent appends', () => {
    expect(isTruncated(`${'a'.repeat(23_980)}${TRUNCATED_SUFFIX}`)).toBe(true);
    expect(isTruncated('a'.repeat(24_000))).toBe(false);
    expect(isTruncated(undefined)).toBe(false);
  });

  it('finds the output object from the URL SSM gives, path-style or virtual-hosted, else from the agent layout', () => {
    const key = 'run-command/relay/c-1/i-0123456789abcdef0/awsrunShellScript/0.awsrunShellScript/stdout';
    expect(keyFromOutputUrl(`https://s3.eu-west-1.amazonaws.com/out-bucket/${key}`, 'out-bucket')).toBe(key);
    expect(keyFromOutputUrl(`https://out-bucket.s3.eu-west-1.amazonaws.com/${key}`, 'out-bucket')).toBe(key);
    expect(keyFromOutputUrl('', 'out-bucket')).toBeUndefined();
    expect(keyFromOutputUrl(`https://s3.eu-west-1.amazonaws.com/other/${key}`, 'out-bucket')).toBeUndefined();
    expect(defaultOutputKey(target, 'c-1', 'stdout')).toBe(key);
    expect(defaultOutputKey({ ...target, keyPrefix: '' }, 'c-1', 'stderr')).toBe(
      'c-1/i-0123456789abcdef0/awsrunShellScript/0.awsrunShellScript/stderr',
    );
  });
});
