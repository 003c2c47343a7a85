import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud, type TestSocket } from './test-helpers.ts';

let t: TestCloud;
let owner: Awaited<ReturnType<TestCloud['user']>>;
let outsider: Awaited<ReturnType<TestCloud['user']>>;
let wid: string;
let gw: TestSocket<'gateway'>;

const at = (n: number) => new Date(Date.UTC(2026, 3, 1, 9, 0, n)).toISOString();
const status = (taskId: string, seq: number, state = 'step') => ({
  type: 'task.status',
  taskId,
  seq,
  state,
  detail: `step ${seq}`,
  at: at(seq),
});

beforeAll(async () => {
  t = await startTestCloud();
  owner = await t.user('Owner');
  outsider = await t.user('Outsider');
  wid = (await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id;
  const token = (await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: owner.bearer, body: { deviceName: 'pc' } }))
    .body.authToken;
  gw = await t.connect('gateway', token);
});
afterAll(() => t?.cloud.close());

describe('task status: exactly once, in order', () => {
  it('stores in order, acks duplicates without storing, nacks a gap, and relays stored ones to members', async () => {
    const watcher = await t.connect('user', owner.bearer);
    const stranger = await t.connect('user', outsider.bearer);

    gw.send(status('task-1', 1, 'queued'));
    expect(await gw.next('task.status.ack')).toEqual({ type: 'task.status.ack', taskId: 'task-1', seq: 1 });
    gw.send(status('task-1', 2, 'running'));
    expect(await gw.next('task.status.ack')).toMatchObject({ seq: 2 });
    // a duplicate (a resend after a lost ack) is acknowledged again, not stored again
    gw.send(status('task-1', 2, 'running'));
    expect(await gw.next('task.status.ack')).toMatchObject({ seq: 2 });
    gw.send(status('task-1', 1, 'queued'));
    expect(await gw.next('task.status.ack')).toMatchObject({ seq: 1 });
    // a gap: seq 4 before 3
    gw.send(status('task-1', 4));
    expect(await gw.next('task.status.nack')).toEqual({ type: 'task.status.nack', taskId: 'task-1', expectedSeq: 3 });
    gw.send(status('task-1', 3));
    gw.send(status('task-1', 4, 'completed'));
    expect(await gw.next('task.status.ack')).toMatchObject({ seq: 3 });
    expect(await gw.next('task.status.ack')).toMatchObject({ seq: 4 });

    const stored = await t.http('GET', `/v1/workspaces/${wid}/tasks/task-1/statuses`, { auth: owner.bearer });
    expect(stored.status).toBe(200);
    expect(stored.body.statuses.map((s: { seq: number; state: string }) => [s.seq, s.state])).toEqual([
      [1, 'queued'],
      [2, 'running'],
      [3, 'step'],
      [4, 'completed'],
    ]);
    expect(stored.body.statuses[0]).toMatchObject({ taskId: 'task-1', at: at(1), detail: 'step 1' });

    // each stored status reached the member's desktop exactly once, in order
    const events = [];
    for (let i = 0; i < 4; i++) events.push(await watcher.next('event.task'));
    expect(events.map((e) => e.status.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0]).toMatchObject({ workspaceId: wid, status: { taskId: 'task-1', state: 'queued' } });
    // the outsider saw none. A refused rtc.close is a round trip: once its error is back, any
    // relayed event sent before it would have arrived too.
    stranger.send({ type: 'rtc.close', sessionId: 'marker-session', reason: 'marker' });
    await stranger.next('error');
    expect(stranger.received.map((f) => f.type)).toEqual(['welcome', 'error']);
    expect(watcher.received.filter((f) => f.type === 'event.task')).toHaveLength(4);

    const foreign = await t.http('GET', `/v1/workspaces/${wid}/tasks/task-1/statuses`, { auth: outsider.bearer });
    expect(foreign.status).toBe(404);
    watcher.close();
    stranger.close();
  });

  it('a first status with seq > 1 is nacked with expectedSeq 1', async () => {
    gw.send(status('task-2', 2));
    expect(await gw.next('task.status.nack')).toMatchObject({ taskId: 'task-2', expectedSeq: 1 });
    const stored = await t.http('GET', `/v1/workspaces/${wid}/tasks/task-2/statuses`, { auth: owner.bearer });
    expect(stored.body.statuses).toEqual([]);
  });
});

describe('transcripts', () => {
  it('keeps the highest revision and acks every sync', async () => {
    const msg = (content: string) => ({ role: 'user', content, at: at(1) });
    gw.send({ type: 'transcript.sync', conversationId: 'conv-1', revision: 2, messages: [msg('a'), msg('b')] });
    expect(await gw.next('transcript.ack')).toMatchObject({ conversationId: 'conv-1', revision: 2 });
    gw.send({ type: 'transcript.sync', conversationId: 'conv-1', revision: 1, messages: [msg('a')] });
    expect(await gw.next('transcript.ack')).toMatchObject({ revision: 1 });
    const read = await t.http('GET', `/v1/workspaces/${wid}/transcripts/conv-1`, { auth: owner.bearer });
    expect(read.body).toMatchObject({ conversationId: 'conv-1', revision: 2 });
    expect(read.body.messages.map((m: { content: string }) => m.content)).toEqual(['a', 'b']);
    gw.send({ type: 'transcript.sync', conversationId: 'conv-1', revision: 3, messages: [msg('a'), msg('b'), msg('c')] });
    await gw.next('transcript.ack');
    const newer = await t.http('GET', `/v1/workspaces/${wid}/transcripts/conv-1`, { auth: owner.bearer });
    expect(newer.body.revision).toBe(3);
    expect((await t.http('GET', `/v1/workspaces/${wid}/transcripts/none`, { auth: owner.bearer })).status).toBe(404);
    expect((await t.http('GET', `/v1/workspaces/${wid}/transcripts/conv-1`, { auth: outsider.bearer })).status).toBe(404);
  });
});
