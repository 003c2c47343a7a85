import { appendFile, readFile } from 'node:fs/promises';
import { ManualClock } from '@multiclaw-lab/kit';
import type { TaskStatusFrame } from '@multiclaw-lab/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './gateway.ts';
import { Outbox } from './outbox.ts';
import { gatewayPaths } from './paths.ts';
import { FAST, linkedHome } from './test-support/homes.ts';
import { captureLogs, type LogCapture } from './test-support/log-capture.ts';
import { StandInCloud } from './test-support/stand-in-cloud.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** An agent without a key: its tasks run every step, then fail at the LLM call (7 statuses). */
const AGENT = { id: 'a1', name: 'Agent', provider: 'lab', model: 'm', baseUrl: 'https://127.0.0.1:1/v1', apiKey: null };
const STATES = ['queued', 'running', 'step', 'step', 'step', 'llm', 'failed'];

async function start(home: string, cloud: StandInCloud, logs = captureLogs()) {
  const gateway = await startGateway({ home, mode: 'local', logger: logs.logger, ca: cloud.ca, ...FAST });
  cleanup.push(() => gateway.close());
  return { gateway, logs };
}

async function runTask(gateway: GatewayHandle, logs: LogCapture, body: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${gateway.url}/v1/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agentId: 'a1', prompt: 'do it', steps: 3, stepMs: 0, ...body }),
  });
  expect(res.status).toBe(202);
  const { taskId } = (await res.json()) as { taskId: string };
  if (body.stepMs === undefined) await logs.waitFor({ event: 'task.status', taskId, state: 'failed' });
  return taskId;
}

const keyOf = (s: TaskStatusFrame) => `${s.taskId}#${s.seq}`;

describe('task status outbox', () => {
  it('delivers statuses made while disconnected after reconnect, in order, exactly once', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await linkedHome(cloud.url, 'local', { agents: [AGENT] });
    const { gateway, logs } = await start(home, cloud);
    await cloud.connection(1);
    cloud.down = true;
    cloud.dropAll();
    await logs.waitFor({ event: 'token.mint_failed' });

    const taskId = await runTask(gateway, logs);
    expect(gateway.status().outbox.pending).toBe(7);
    expect(cloud.received).toEqual([]);

    cloud.down = false;
    await cloud.until(() => cloud.stored.length === 7);
    expect(cloud.stored.map((s) => [s.taskId, s.seq, s.state])).toEqual(STATES.map((st, i) => [taskId, i + 1, st]));
    expect(cloud.stored.filter((s) => s.state === 'step').map((s) => s.detail)).toEqual(['step 1/3', 'step 2/3', 'step 3/3']);
    expect(cloud.received.map(keyOf)).toEqual(cloud.stored.map(keyOf));
    await logs.waitFor({ event: 'outbox.acked', pending: 0 });
    expect(gateway.status().outbox.pending).toBe(0);
  });

  it('replays what was not acked after a restart, and nothing that was', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await linkedHome(cloud.url, 'local', { agents: [AGENT] });
    const first = await start(home, cloud);
    await cloud.connection(1);
    const acked = await runTask(first.gateway, first.logs);
    await cloud.until(() => cloud.stored.length === 7);
    await first.logs.waitFor({ event: 'outbox.acked', pending: 0 });
    // now the cloud goes away; a second task's statuses are only on disk when the gateway stops
    cloud.down = true;
    cloud.dropAll();
    const unacked = await runTask(first.gateway, first.logs);
    await first.gateway.close();

    cloud.down = false;
    const second = await start(home, cloud);
    expect(second.gateway.status().outbox.pending).toBe(7);
    await cloud.until(() => cloud.stored.length === 14);
    await second.logs.waitFor({ event: 'outbox.acked', pending: 0 });
    expect(cloud.stored.map((s) => s.taskId)).toEqual([...Array(7).fill(acked), ...Array(7).fill(unacked)]);
    // exactly once: the cloud never saw any status twice
    expect(new Set(cloud.received.map(keyOf)).size).toBe(cloud.received.length);
  });

  it('marks a task interrupted when the gateway stops while it runs, and delivers that after restart', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await linkedHome(cloud.url, 'local', { agents: [AGENT] });
    const first = await start(home, cloud);
    await cloud.connection(1);
    const taskId = await runTask(first.gateway, first.logs, { stepMs: 60_000 });
    await cloud.until(() => cloud.stored.some((s) => s.state === 'running'));
    cloud.down = true;
    cloud.dropAll();
    await first.gateway.close();
    cloud.down = false;
    await start(home, cloud);
    await cloud.until(() => cloud.stored.some((s) => s.state === 'interrupted'));
    expect(cloud.stored.map((s) => [s.taskId, s.seq, s.state])).toEqual([
      [taskId, 1, 'queued'],
      [taskId, 2, 'running'],
      [taskId, 3, 'interrupted'],
    ]);
  });

  it('resends the in-flight status when the cloud answers it with an error frame', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await linkedHome(cloud.url, 'local', { agents: [AGENT] });
    const { gateway, logs } = await start(home, cloud);
    await cloud.connection(1);
    cloud.errorOnceAtSeq = 2;
    await runTask(gateway, logs);
    await cloud.until(() => cloud.stored.length === 7);
    expect(cloud.received.map((s) => s.seq)).toEqual([1, 2, 2, 3, 4, 5, 6, 7]);
    expect(cloud.connections).toHaveLength(1);
    await logs.waitFor({ event: 'outbox.retry_scheduled' });
  });

  it('resends from expectedSeq on a nack', async () => {
    const cloud = await StandInCloud.start();
    cleanup.push(() => cloud.close());
    const home = await linkedHome(cloud.url, 'local', { agents: [AGENT] });
    const { gateway, logs } = await start(home, cloud);
    await cloud.connection(1);
    cloud.forgetOnceAtSeq = 3; // the cloud "loses" seq 1-2 when seq 3 arrives and asks again from 1
    await runTask(gateway, logs);
    await cloud.until(() => cloud.stored.length === 7);
    expect(cloud.stored.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(cloud.received.map((s) => s.seq)).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6, 7]);
    await logs.waitFor({ event: 'outbox.rewound', expectedSeq: 1 });
  });
});

describe('Outbox on disk', () => {
  const status = (taskId: string, seq: number, state: TaskStatusFrame['state']) => ({
    taskId,
    seq,
    state,
    detail: '',
    at: new Date(0).toISOString(),
  });

  it('after a crash, gives running tasks a final interrupted status and ignores a torn last line', async () => {
    const home = await linkedHome('https://127.0.0.1:1');
    const paths = gatewayPaths(home);
    const logs = captureLogs();
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const crashed = await Outbox.open(paths, logs.logger, clock);
    await crashed.append(status('t1', 1, 'queued'));
    await crashed.append(status('t1', 2, 'running'));
    await crashed.append(status('t2', 1, 'queued'));
    await crashed.append(status('t2', 2, 'completed'));
    // no close(): the process "died", mid-way through writing one more line
    await appendFile(paths.outboxLog, '{"n":5,"taskId":"t1","se');

    const sent: TaskStatusFrame[] = [];
    const restarted = await Outbox.open(paths, logs.logger, clock);
    cleanup.push(() => restarted.close());
    expect(logs.count({ event: 'outbox.torn_tail' })).toBe(1);
    restarted.attach((f) => sent.push(f) > 0);
    for (let i = 0; i < 5; i++) await restarted.ack(sent.at(-1)!.taskId, sent.at(-1)!.seq);
    expect(sent.map((f) => [f.taskId, f.seq, f.state])).toEqual([
      ['t1', 1, 'queued'],
      ['t1', 2, 'running'],
      ['t2', 1, 'queued'],
      ['t2', 2, 'completed'],
      ['t1', 3, 'interrupted'],
    ]);
    expect(sent.at(-1)!.at).toBe('2026-01-01T00:00:00.000Z');
    expect(restarted.pending()).toBe(0);
    expect(JSON.parse(await readFile(paths.outboxCursor, 'utf8'))).toEqual({ ackedN: 5 });
  });

  it('sends one status at a time and only the next after an ack', async () => {
    const home = await linkedHome('https://127.0.0.1:1');
    const outbox = await Outbox.open(gatewayPaths(home), captureLogs().logger, new ManualClock());
    cleanup.push(() => outbox.close());
    const sent: TaskStatusFrame[] = [];
    outbox.attach((f) => sent.push(f) > 0);
    await outbox.append(status('t', 1, 'queued'));
    await outbox.append(status('t', 2, 'running'));
    expect(sent.map((f) => f.seq)).toEqual([1]);
    await outbox.ack('t', 2); // not the head: ignored
    expect(sent.map((f) => f.seq)).toEqual([1]);
    await outbox.ack('t', 1);
    expect(sent.map((f) => f.seq)).toEqual([1, 2]);
    outbox.detach();
    outbox.attach((f) => sent.push(f) > 0); // reconnect: the in-flight one goes again
    expect(sent.map((f) => f.seq)).toEqual([1, 2, 2]);
    await outbox.nack('t', 3); // the cloud already has 2: skip it
    expect(outbox.pending()).toBe(0);
  });
});
