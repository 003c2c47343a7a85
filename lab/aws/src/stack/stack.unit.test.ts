import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackOutputsSchema } from '@multiclaw-lab/deploy';
import { MissingToolError } from '@multiclaw-lab/kit';
import { afterAll, describe, expect, it } from 'vitest';
import { StackNotReadyError, StackOutputsInvalidError } from '../errors.ts';
import { stackOutputsFixture } from '../testing/stack-outputs.ts';
import { attachStack } from './attach.ts';
import { deployConfig, tlsNamesOf } from './config.ts';
import { findPulumi, requirePulumi } from './pulumi-cli.ts';
import { currentConfig, parseStackOutputs, stackConfigFile } from './stack.ts';

const dir = await mkdtemp(join(tmpdir(), 'mclab-stack-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const artifacts = { nodePath: '/opt/node', bundlePath: '/tmp/components.tar.gz' };
const secrets = () => ({ tokenSigningKey: 'k1', masterKey: 'k2', turnSharedSecret: 'k3' });

describe('what lab deploy writes into the stack config', () => {
  it('a new stack: artifacts, the region for the program and the provider, every secret marked secret', () => {
    expect(deployConfig({ existing: {}, artifacts, region: 'eu-central-1', generateSecrets: secrets })).toEqual({
      'multiclaw:artifacts': { value: JSON.stringify(artifacts) },
      'multiclaw:region': { value: 'eu-central-1' },
      'aws:region': { value: 'eu-central-1' },
      'multiclaw:tokenSigningKey': { value: 'k1', secret: true },
      'multiclaw:masterKey': { value: 'k2', secret: true },
      'multiclaw:turnSharedSecret': { value: 'k3', secret: true },
    });
  });

  it('an existing stack keeps its region and its secrets (drawing them again would rotate every key); artifacts are renewed', () => {
    const existing = {
      'multiclaw:region': { value: 'us-west-2' },
      'aws:region': { value: 'us-west-2' },
      'multiclaw:tokenSigningKey': { value: '[secret]', secret: true },
      'multiclaw:masterKey': { value: '[secret]', secret: true },
      'multiclaw:tls': { value: '{}' },
    };
    const set = deployConfig({
      existing,
      artifacts,
      region: 'eu-central-1',
      generateSecrets: secrets,
      newTls: { tls: { caCertificate: 'OTHER' }, secrets: { apiTlsKey: 'OTHER' } },
    });
    expect(set).toEqual({
      'multiclaw:artifacts': { value: JSON.stringify(artifacts) },
      'multiclaw:turnSharedSecret': { value: 'k3', secret: true },
    });
  });

  it('TLS material for a stack without it: public halves as the tls setting, private keys as secrets', () => {
    const set = deployConfig({
      existing: {},
      artifacts,
      generateSecrets: () => ({}),
      newTls: { tls: { caCertificate: 'CA' }, secrets: { apiTlsKey: 'KEY' } },
    });
    expect(set['multiclaw:tls']).toEqual({ value: '{"caCertificate":"CA"}' });
    expect(set['multiclaw:apiTlsKey']).toEqual({ value: 'KEY', secret: true });
    expect(set['multiclaw:region']).toEqual({ value: 'eu-west-1' });
  });

  it('a stack needs TLS material only while it has none, made for its own domains', () => {
    expect(tlsNamesOf({})).toEqual({ domain: 'multiclaw.test', llmDomain: 'llm.test' });
    expect(tlsNamesOf({ 'multiclaw:domain': { value: 'stg.example.org' } })).toMatchObject({ domain: 'stg.example.org' });
    expect(tlsNamesOf({ 'multiclaw:tls': { value: '{}' } })).toBeUndefined();
  });
});

describe('the pulumi CLI', () => {
  it('missing: a MissingToolError naming how to install it', () => {
    const err = (() => {
      try {
        requirePulumi({ PATH: join(dir, 'nothing') }, join(dir, 'home'));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MissingToolError);
    expect((err as Error).message).toContain('the pulumi CLI');
    expect((err as Error).message).toContain('https://www.pulumi.com/docs/install/');
  });

  it('found on PATH, or where its installer puts it (~/.pulumi/bin) when that is not on PATH', async () => {
    const bin = join(dir, 'home', '.pulumi', 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'pulumi'), '#!/bin/sh\n');
    await chmod(join(bin, 'pulumi'), 0o755);
    expect(findPulumi({ PATH: join(dir, 'nothing') }, join(dir, 'home'))).toEqual({
      path: join(bin, 'pulumi'),
      root: join(dir, 'home', '.pulumi'),
    });
    expect(findPulumi({ PATH: bin }, join(dir, 'elsewhere'))?.path).toBe(join(bin, 'pulumi'));
  });
});

const outputs = stackOutputsFixture({
  hosts: [
    { id: 'relay', role: 'relay' },
    { id: 's1-d1', role: 'desktop', site: 's1' },
  ],
});

const parts = { parseOutputs: (values: Record<string, unknown>) => stackOutputsSchema.safeParse(values) };

describe("a stack's outputs", () => {
  it('are read key by key and checked against deploy/s schema', () => {
    const map = Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value, secret: false }]));
    expect(parseStackOutputs('staging', map, parts)).toEqual(outputs);
  });

  it('a stack without outputs, or with outputs of another shape, is refused with what is wrong', () => {
    expect(() => parseStackOutputs('staging', {}, parts)).toThrow(/has outputs the aws driver cannot use: it has no outputs/);
    const map = Object.fromEntries(
      Object.entries({ ...outputs, commandOutputBucket: 7 }).map(([k, value]) => [k, { value, secret: false }]),
    );
    const err = (() => {
      try {
        parseStackOutputs('staging', map, parts);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StackOutputsInvalidError);
    expect((err as Error).message).toContain('commandOutputBucket');
  });
});

describe('attaching to a deployed stack (lab up --driver aws)', () => {
  const running = [
    { hostId: 'cloud', instanceId: 'i-c1' },
    { hostId: 'cloud-2', instanceId: 'i-c2' },
    { hostId: 'relay', instanceId: 'i-r' },
    { hostId: 's1-d1', instanceId: 'i-d' },
  ];
  const asked: string[] = [];
  const transport = (answers: Record<string, number>) => ({
    hosts: async () => running,
    run: async (hostId: string) => {
      asked.push(hostId);
      return { code: answers[hostId] ?? 0, stdout: 'ok\n', stderr: '' };
    },
  });
  const checked: Array<{ url: string; servername: string }> = [];
  const healthy = async (url: string, o: { servername: string }) => {
    checked.push({ url, servername: o.servername });
    return { ok: true, detail: 'HTTP 200' };
  };

  it('every host answers SSM and the endpoints /healthz under their lab names: the hosts with their instances', async () => {
    const attached = await attachStack({ outputs, transport: transport({}), health: healthy });
    expect(attached.outputs).toBe(outputs); // what exec and logs on the attached stack work from
    expect(attached.hosts).toEqual([
      { id: 'cloud', instanceId: 'i-c1', role: 'cloud' },
      { id: 'cloud-2', instanceId: 'i-c2', role: 'cloud' },
      { id: 'relay', instanceId: 'i-r', role: 'relay' },
      { id: 's1-d1', instanceId: 'i-d', role: 'desktop', site: 's1' },
    ]);
    expect(asked.sort()).toEqual(['cloud', 'cloud-2', 'relay', 's1-d1']);
    expect(checked).toEqual([
      { url: outputs.endpoints.api, servername: 'api.multiclaw.test' },
      { url: outputs.endpoints.llm, servername: 'api.llm.test' },
    ]);
  });

  it('a host that does not answer, one that is missing and an endpoint that fails are all named', async () => {
    const err = await attachStack({
      outputs: { ...outputs, hosts: [...outputs.hosts, { id: 's1-nb', role: 'neighbour', site: 's1' }] },
      transport: transport({ relay: 1 }),
      health: async (url) => ({ ok: !url.includes('elb'), detail: 'ECONNREFUSED' }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackNotReadyError);
    const message = (err as Error).message;
    expect(message).toContain('relay (i-r): answered code 1');
    expect(message).toContain('s1-nb: no running instance carries its tags');
    expect(message).toContain(`api.multiclaw.test (${outputs.endpoints.api}): /healthz ECONNREFUSED`);
  });

  it('the cloud must answer /healthz with 200; the LLM replica, which has no health route, any answer at all', async () => {
    const notFound = async () => ({ ok: false, detail: 'HTTP 404', status: 404 });
    const err = await attachStack({ outputs, transport: transport({}), health: notFound }).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`api.multiclaw.test (${outputs.endpoints.api}): /healthz HTTP 404`);
    expect((err as Error).message).not.toContain('api.llm.test');
    const llmAnswers = async (url: string) =>
      url === outputs.endpoints.api ? { ok: true, detail: 'HTTP 200', status: 200 } : await notFound();
    expect((await attachStack({ outputs, transport: transport({}), health: llmAnswers })).stack).toBe(outputs.stack);
    const llmSilent = async (url: string) =>
      url === outputs.endpoints.api ? { ok: true, detail: 'HTTP 200', status: 200 } : { ok: false, detail: 'ECONNREFUSED' };
    const silent = await attachStack({ outputs, transport: transport({}), health: llmSilent }).catch((e: unknown) => e);
    expect((silent as Error).message).toContain(`api.llm.test (${outputs.endpoints.llm}): /healthz ECONNREFUSED`);
  });
});

describe("a stack's config between deploys", () => {
  const fakeStack = (refresh: () => Promise<Record<string, { value: string }>>) => {
    const asked: string[] = [];
    return {
      asked,
      stack: {
        name: 'stg',
        getAllConfig: async () => {
          asked.push('file');
          return { 'multiclaw:region': { value: 'eu-west-1' } };
        },
        workspace: {
          refreshConfig: async () => {
            asked.push('backend');
            return refresh();
          },
        },
      },
    };
  };

  it('is the workspace’s config file when this machine has one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stack-config-'));
    await writeFile(stackConfigFile(dir, 'stg'), 'config: {}\n');
    const { stack, asked } = fakeStack(async () => ({}));
    expect(await currentConfig(stack, dir)).toEqual({ 'multiclaw:region': { value: 'eu-west-1' } });
    expect(asked).toEqual(['file']);
    await rm(dir, { recursive: true, force: true });
  });

  it('is the last update’s config from the backend on a machine without the file, so its keys are kept', async () => {
    const { stack, asked } = fakeStack(async () => ({ 'multiclaw:masterKey': { value: 'kept' } }));
    expect(await currentConfig(stack, join(tmpdir(), 'no-such-workspace'))).toEqual({ 'multiclaw:masterKey': { value: 'kept' } });
    expect(asked).toEqual(['backend']);
  });

  it('is the workspace’s own for a stack never deployed (the backend has no update to take it from)', async () => {
    const { stack, asked } = fakeStack(async () => {
      throw new Error('no previous deployment');
    });
    expect(await currentConfig(stack, join(tmpdir(), 'no-such-workspace'))).toEqual({
      'multiclaw:region': { value: 'eu-west-1' },
    });
    expect(asked).toEqual(['backend', 'file']);
  });
});
