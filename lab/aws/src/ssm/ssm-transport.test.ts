import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsHostAmbiguousError, AwsHostNotFoundError } from '../errors.ts';
import { type Moto, startMoto } from '../testing/moto.ts';
import { anyImage, createBucket, launchInstance, stopInstance } from '../testing/stack-fixture.ts';
import { type AwsClients, awsClients, callerIdentity } from './clients.ts';
import { InstanceDirectory } from './instances.ts';
import { defaultOutputKey, runCommand, TRUNCATED_SUFFIX } from './run-command.ts';
import { SsmTransport } from './ssm-transport.ts';

/*
 * The SSM transport against moto on 127.0.0.1: EC2 instances tagged as deploy/ tags them, the
 * command output bucket in S3, Run Command as moto records it. moto answers every command with
 * Success and empty output at once and runs nothing; the other statuses are in
 * run-command.unit.test.ts.
 */

const REGION = 'us-east-1';
const STACK = 'stg';
const BUCKET = 'stg-command-output';
let moto: Moto;
let clients: AwsClients;
let transport: SsmTransport;
const ids: Record<string, string> = {};

beforeAll(async () => {
  moto = await startMoto();
  clients = awsClients(moto.clientOptions(REGION));
  const image = await anyImage(clients);
  await createBucket(clients, BUCKET);
  ids.cloudA = await launchInstance(clients, STACK, { role: 'cloud' }, image);
  ids.cloudB = await launchInstance(clients, STACK, { role: 'cloud' }, image);
  ids.relay = await launchInstance(clients, STACK, { role: 'relay', host: 'relay' }, image);
  ids.desktop = await launchInstance(clients, STACK, { role: 'desktop', host: 's1-d1', site: 's1' }, image);
  // a stopped instance of a host that also has a running one, a host with only a stopped one,
  // a host with two running ones, and the same host id in another stack
  ids.llmOld = await launchInstance(clients, STACK, { role: 'llm', host: 'llm' }, image);
  await stopInstance(clients, ids.llmOld);
  ids.llm = await launchInstance(clients, STACK, { role: 'llm', host: 'llm' }, image);
  ids.gone = await launchInstance(clients, STACK, { role: 'neighbour', host: 's1-nb', site: 's1' }, image);
  await stopInstance(clients, ids.gone);
  ids.twin1 = await launchInstance(clients, STACK, { role: 'cloud-desktop', host: 'cd1' }, image);
  ids.twin2 = await launchInstance(clients, STACK, { role: 'cloud-desktop', host: 'cd1' }, image);
  ids.other = await launchInstance(clients, 'other-stack', { role: 'relay', host: 'relay' }, image);
  transport = new SsmTransport({
    ...moto.clientOptions(REGION),
    stack: STACK,
    outputBucket: BUCKET,
    poll: { baseMs: 10, capMs: 50 },
  });
}, 120_000);

afterAll(async () => {
  transport?.close();
  clients?.destroy();
  await moto?.stop();
});

describe('lab hosts are found by their tags', () => {
  it('a host by its host tag, in this stack only, and a running instance over a stopped one', async () => {
    expect(await transport.resolve('relay')).toMatchObject({ hostId: 'relay', instanceId: ids.relay });
    expect(await transport.resolve('llm')).toMatchObject({ instanceId: ids.llm });
  });

  it('cloud instances by role, numbered by launch time: cloud is the first, cloud-2 the next', async () => {
    const first = await transport.resolve('cloud');
    const second = await transport.resolve('cloud-2');
    expect(new Set([first.instanceId, second.instanceId])).toEqual(new Set([ids.cloudA, ids.cloudB]));
    expect(first.launchTime!.getTime() <= second.launchTime!.getTime()).toBe(true);
    const third = await transport.resolve('cloud-3').catch((e: unknown) => e);
    expect(third).toBeInstanceOf(AwsHostNotFoundError);
    expect((third as Error).message).toContain('there are 2 running cloud instances (cloud … cloud-2)');
  });

  it('an unknown host, a stopped one and a doubled one each get their error', async () => {
    const unknown = await transport.resolve('s9-d9').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AwsHostNotFoundError);
    expect((unknown as Error).message).toContain(
      'no running instance is lab host s9-d9 of stack stg: no instance carries its tags',
    );
    const stopped = await transport.resolve('s1-nb').catch((e: unknown) => e);
    expect(stopped).toMatchObject({ code: 'LAB_AWS_NO_INSTANCE' });
    expect((stopped as Error).message).toContain(`only ${ids.gone} (stopped)`);
    const doubled = await transport.resolve('cd1').catch((e: unknown) => e);
    expect(doubled).toBeInstanceOf(AwsHostAmbiguousError);
    expect((doubled as Error).message).toContain(`2 running instances are lab host cd1 of stack stg`);
  });

  it('lists every running lab host of the stack', async () => {
    const hosts = await new InstanceDirectory(clients.ec2, STACK).all();
    expect(hosts.map((h) => h.hostId)).toEqual(['cd1', 'cd1', 'cloud', 'cloud-2', 'llm', 'relay', 's1-d1']);
    expect(hosts.find((h) => h.hostId === 's1-d1')?.instanceId).toBe(ids.desktop);
  });
});

describe('run(): Run Command as moto records it', () => {
  it('sends the multi-line script as one element of AWS-RunShellScript commands, to the host instance, output to the bucket', async () => {
    const script = 'set -e\nnft list ruleset\necho "a, b; c"';
    const result = await transport.run('s1-d1', { description: 'list the rules', script }, { timeoutMs: 30_000 });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    const listed = await clients.ssm.send(new ListCommandsCommand({ InstanceId: ids.desktop }));
    expect(listed.Commands).toHaveLength(1);
    const recorded = listed.Commands![0]!;
    // moto 5.2.5 adds every instance of the region to a command sent without Targets (its
    // Command._get_instance_ids_from_targets filters by no tag at all), so it records more than was asked
    expect(recorded.InstanceIds).toContain(ids.desktop);
    expect(recorded.Targets).toEqual([]);
    expect(recorded).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      Comment: 'lab s1-d1: list the rules',
      Parameters: { commands: [script], executionTimeout: ['30'] },
      OutputS3BucketName: BUCKET,
      OutputS3KeyPrefix: 'run-command/s1-d1',
    });
  });

  it('reads a cut output in full from the bucket, at the key the agent writes it to', async () => {
    // moto never cuts output; the answer to GetCommandInvocation is marked as the agent marks a cut one
    const ssm = awsClients(moto.clientOptions(REGION));
    ssm.ssm.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'GetCommandInvocationCommand')
          Object.assign(out.output as object, { StandardOutputContent: `${'x'.repeat(23_980)}${TRUNCATED_SUFFIX}` });
        return out;
      },
      { step: 'initialize', name: 'markCut' },
    );
    const full = 'y'.repeat(100_000);
    const target = { hostId: 'relay', instanceId: ids.relay!, bucket: BUCKET, keyPrefix: 'run-command/relay' };
    // the agent uploads under the command id, known only once sent: put the object when SendCommand has answered
    ssm.ssm.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'SendCommandCommand') {
          const commandId = (out.output as { Command: { CommandId: string } }).Command.CommandId;
          await clients.s3.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: defaultOutputKey(target, commandId, 'stdout'), Body: full }),
          );
        }
        return out;
      },
      { step: 'initialize', name: 'agentUpload' },
    );
    try {
      const result = await runCommand(ssm, target, { description: 'dump', script: 'cat big' }, { timeoutMs: 10_000 });
      expect(result.stdout).toBe(full);
    } finally {
      ssm.destroy();
    }
  });

  it('a host that is not running is refused before anything is sent', async () => {
    const before = (await clients.ssm.send(new ListCommandsCommand({}))).Commands?.length ?? 0;
    await expect(transport.run('s1-nb', { description: 'x', script: 'true' })).rejects.toBeInstanceOf(AwsHostNotFoundError);
    expect((await clients.ssm.send(new ListCommandsCommand({}))).Commands?.length ?? 0).toBe(before);
  });
});

describe('stream(): a Session Manager session through the AWS CLI', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'mclab-aws-cli-'));
  });
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
  });

  it('finds the instance through the API, then runs aws ssm start-session for it, streaming what it prints', async () => {
    // a stand-in `aws`: prints the arguments it got, one per line
    await writeFile(join(bin, 'aws'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    await chmod(join(bin, 'aws'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    let child: ReturnType<SsmTransport['stream']>;
    try {
      child = transport.stream('relay', { description: 'capture', script: "tcpdump -i any -w - 'udp'" });
    } finally {
      process.env.PATH = path;
    }
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const argv = out.trim().split('\n');
    expect(argv.slice(0, 6)).toEqual([
      'ssm',
      'start-session',
      '--target',
      ids.relay,
      '--document-name',
      'AWS-StartNonInteractiveCommand',
    ]);
    const params = JSON.parse(argv[7]!) as { command: string[] };
    const b64 = /^echo (\S+) \| base64 -d \| sh$/.exec(params.command[0]!)![1]!;
    expect(Buffer.from(b64, 'base64').toString()).toBe("tcpdump -i any -w - 'udp'");
    expect(argv.slice(8)).toEqual(['--region', REGION, '--endpoint-url', moto.endpoint]);
  });

  it('without the AWS CLI, the child ends with a message naming what to install', async () => {
    const path = process.env.PATH;
    // node is found by its absolute path; no aws anywhere on this PATH
    process.env.PATH = bin.replace(/$/, '-none');
    let child: ReturnType<SsmTransport['stream']>;
    try {
      child = transport.stream('relay', { description: 'x', script: 'true' });
    } finally {
      process.env.PATH = path;
    }
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(127);
    expect(err).toContain('there is no aws command on PATH');
    expect(err).toContain('Session Manager plugin');
  });
});

describe('whose credentials: STS GetCallerIdentity (what lab doctor and lab deploy ask)', () => {
  it('answers through moto with its fixed account', async () => {
    expect(await callerIdentity(moto.clientOptions(REGION))).toEqual({
      account: '123456789012',
      arn: 'arn:aws:sts::123456789012:user/moto',
    });
  });
});
