/*
 * The aws driver attached to a stack made in moto (127.0.0.1): its topology from the stack's
 * tagged instances, and what it does arriving as Run Command invocations of the instance scripts.
 * moto runs nothing (every command "succeeds" with no output), so this proves the AWS side only:
 * which script goes to which instance. That each script takes effect and heals is proven on
 * docker-driver hosts (aws-driver.docker.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, ListCommandsCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsDriver } from '../aws-driver.ts';
import { type AwsClients, awsClients } from '../ssm/clients.ts';
import { type Moto, startMoto } from '../testing/moto.ts';
import { anyImage, createBucket, launchInstance } from '../testing/stack-fixture.ts';
import { stackOutputsFixture } from '../testing/stack-outputs.ts';
import { stagingDriver } from './staging-driver.ts';

const REGION = 'eu-west-1';
const STACK = 'attached';
const BUCKET = 'attached-command-output';
const NETPROBE = fileURLToPath(new URL('../../../network/src/netprobe.ts', import.meta.url));

const outputs = stackOutputsFixture({ region: REGION, stack: STACK, commandOutputBucket: BUCKET });

let moto: Moto;
let clients: AwsClients;
let driver: AwsDriver;
let stateDir: string;
const ids: Record<string, string> = {};

/**
 * The scripts Run Command was asked to run for a lab host, oldest first. moto 5.2.5 lists every
 * instance of the region in each command, so a command's host is told by the output key prefix
 * the transport gives it (`run-command/<host>`), and its instance list must hold the host's instance.
 */
async function scriptsSentTo(hostId: string): Promise<string[]> {
  const listed = await clients.ssm.send(new ListCommandsCommand({}));
  const mine = (listed.Commands ?? []).filter(
    (c: Command) => c.DocumentName === 'AWS-RunShellScript' && c.OutputS3KeyPrefix === `run-command/${hostId}`,
  );
  for (const c of mine) expect(c.InstanceIds).toContain(ids[hostId]);
  return mine
    .sort((a, b) => (a.RequestedDateTime?.getTime() ?? 0) - (b.RequestedDateTime?.getTime() ?? 0))
    .map((c) => c.Parameters?.commands?.join('\n') ?? '');
}

beforeAll(async () => {
  moto = await startMoto();
  clients = awsClients(moto.clientOptions(REGION));
  const image = await anyImage(clients);
  await createBucket(clients, BUCKET);
  ids.cloud = await launchInstance(clients, STACK, { role: 'cloud' }, image);
  ids.relay = await launchInstance(clients, STACK, { role: 'relay', host: 'relay' }, image);
  ids['s1-d1'] = await launchInstance(clients, STACK, { role: 'desktop', host: 's1-d1', site: 's1' }, image);
  ids['s1-nb'] = await launchInstance(clients, STACK, { role: 'neighbour', host: 's1-nb', site: 's1' }, image);
  stateDir = await mkdtemp(join(tmpdir(), 'staging-driver-'));
  const { region: _region, ...client } = moto.clientOptions(REGION);
  driver = await stagingDriver(outputs, { prefix: 'attached', stateDir, client });
}, 120_000);

afterAll(async () => {
  await driver?.down();
  clients?.destroy();
  await moto?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('the aws driver on a deployed stack (moto)', () => {
  it('knows every running lab host of the stack, at the address its instance has', () => {
    expect(driver.topology.hosts.map((h) => h.id).sort()).toEqual(['cloud', 'relay', 's1-d1', 's1-nb']);
    for (const host of driver.topology.hosts) expect(host.interfaces[0]?.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('a site fault goes to each host of the site as one nft table, and healing sends its removal', async () => {
    const fault = await driver.blockUdp({ site: 's1' });
    for (const id of ['s1-d1', 's1-nb']) {
      const sent = await scriptsSentTo(id);
      expect(sent.at(-1)).toContain('nft -f - <<');
      expect(sent.at(-1)).toContain('ip saddr != 198.18.129.0/24');
    }
    expect(await scriptsSentTo('relay')).toEqual([]);
    await fault.heal();
    for (const id of ['s1-d1', 's1-nb'])
      expect((await scriptsSentTo(id)).at(-1)).toMatch(/^nft delete table ip lab_blockudp_\d+$/m);
  });

  it('a program of the checkout runs from the components bundle the instance unpacked, with exactly its environment', async () => {
    const result = await driver.exec('relay', process.execPath, ['--no-warnings', NETPROBE, 'udp-echo'], { env: { MARK: '1' } });
    expect(result.code).toBe(0);
    const script = (await scriptsSentTo('relay')).at(-1)!;
    expect(script).toContain('/opt/multiclaw-lab/app/lab/network/src/netprobe.ts');
    expect(script).toContain('exec env -i PATH=');
    expect(script).toContain('MARK=1');
  });

  it('a clock move is the offset file written on that instance', async () => {
    await driver.setClock('cloud', -90);
    expect((await scriptsSentTo('cloud')).at(-1)).toContain("printf '%s\\n' -90 > /var/lib/multiclaw-lab/clock.offset.new");
  });
});
