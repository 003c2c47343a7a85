/*
 * A host's component logs read back from CloudWatch Logs in moto (127.0.0.1), as the agent on
 * the instances writes them: one stream per service, named after the instance.
 */
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, awsClients } from '../ssm/clients.ts';
import { type Moto, startMoto } from '../testing/moto.ts';
import { anyImage, launchInstance } from '../testing/stack-fixture.ts';
import { stackOutputsFixture } from '../testing/stack-outputs.ts';
import { readHostLogs } from './host-logs.ts';

const REGION = 'eu-west-1';
const outputs = stackOutputsFixture({ region: REGION, stack: 'logs' });
const GROUP = outputs.logGroups.components;
let moto: Moto;
let clients: AwsClients;
const ids: Record<string, string> = {};

async function ship(instanceId: string, service: string, lines: Array<[number, string]>) {
  const stream = `${instanceId}/${service}`;
  await clients.logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: stream }));
  await clients.logs.send(
    new PutLogEventsCommand({
      logGroupName: GROUP,
      logStreamName: stream,
      logEvents: lines.map(([timestamp, message]) => ({ timestamp, message })),
    }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  clients = awsClients(moto.clientOptions(REGION));
  const image = await anyImage(clients);
  ids.relay = await launchInstance(clients, 'logs', { role: 'relay', host: 'relay' }, image);
  ids.desktop = await launchInstance(clients, 'logs', { role: 'desktop', host: 's1-d1', site: 's1' }, image);
  await clients.logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  const t = Date.now() - 60_000;
  await ship(ids.desktop, 'multiclaw-gateway', [
    [t + 1, '{"service":"gateway","event":"ready"}'],
    [t + 3, '{"service":"gateway","event":"ws.open"}'],
  ]);
  await ship(ids.relay, 'multiclaw-relay', [[t + 2, 'coturn: Total General servers: 2']]);
}, 120_000);

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

describe('a host’s logs on a deployed stack (CloudWatch Logs, moto)', () => {
  it('are the JSON lines of its own instance’s services, oldest first, with the service named', async () => {
    const lines = await readHostLogs({ clients, outputs, hostId: 's1-d1', lines: 100 });
    expect(lines.map((l) => [l.service, JSON.parse(l.message).event])).toEqual([
      ['multiclaw-gateway', 'ready'],
      ['multiclaw-gateway', 'ws.open'],
    ]);
  });

  it('keep only the last lines asked for', async () => {
    const lines = await readHostLogs({ clients, outputs, hostId: 's1-d1', lines: 1 });
    expect(lines.map((l) => JSON.parse(l.message).event)).toEqual(['ws.open']);
  });

  it('of a host without a running instance: its error, before any log is read', async () => {
    await expect(readHostLogs({ clients, outputs, hostId: 'llm', lines: 10 })).rejects.toMatchObject({
      code: 'LAB_AWS_NO_INSTANCE',
    });
  });
});
