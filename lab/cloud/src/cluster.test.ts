/**
 * Two cloud processes sharing one database, as behind a load balancer: whatever one process
 * decides reaches the sessions held by the other.
 */
import { CLOSE_CODES, inviteAndAccept } from '@multiclaw-lab/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

let a: TestCloud;
let b: TestCloud;
type User = Awaited<ReturnType<TestCloud['user']>>;
let owner: User;
let wid: string;

beforeAll(async () => {
  a = await startTestCloud({ nodeName: 'cloud-a' });
  b = await startTestCloud({ nodeName: 'cloud-b', databaseUrl: a.databaseUrl, secrets: a.secrets });
  owner = await a.user('Owner');
  wid = (await a.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id;
});
afterAll(async () => {
  await b?.cloud.close();
  await a?.cloud.close();
});

const member = async (name: string) => {
  const u = await a.user(name);
  await inviteAndAccept(a, { ownerBearer: owner.bearer, wid, member: u });
  return u;
};
const gatewayOf = async (u: User) => {
  const res = await a.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: u.bearer, body: { deviceName: 'pc' } });
  return { id: res.body.instanceId as string, token: res.body.authToken as string };
};
const desktop = async (name: string) => {
  const res = await a.http('POST', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer, body: { name } });
  return { id: res.body.instance.id as string, token: res.body.instanceToken as string };
};
const connectedThrough = async (cloud: TestCloud, instanceId: string) => {
  const res = await cloud.http('GET', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer });
  return res.body.instances.find((i: { id: string }) => i.id === instanceId)?.connected as boolean;
};

describe('cloud processes sharing a database', () => {
  it('a user removed through one process loses every session on both at once', async () => {
    const removed = await member('Removed');
    const gateway = await gatewayOf(removed);
    const onA = await a.connect('user', removed.bearer);
    const onB = await b.connect('user', removed.bearer);
    const gwOnB = await b.connect('gateway', gateway.token);
    const res = await a.http('DELETE', `/v1/workspaces/${wid}/members/${removed.id}`, { auth: owner.bearer });
    expect(res.status).toBe(204);
    for (const socket of [onA, onB, gwOnB]) expect((await socket.closed).code).toBe(CLOSE_CODES.revoked);
    expect(b.logs.some((l) => l.includes('"event":"ws.closing"') && l.includes('"node":"cloud-b"'))).toBe(true);
  });

  it('signing out through one process closes that bearer’s session on the other', async () => {
    const u = await member('SignsOut');
    const onB = await b.connect('user', u.bearer);
    await a.http('POST', '/v1/auth/sign-out', { auth: u.bearer });
    expect(await onB.closed).toMatchObject({ code: CLOSE_CODES.revoked });
  });

  it('an instance connected to one process shows as connected through the other, and not after it left', async () => {
    const gateway = await gatewayOf(owner);
    expect(await connectedThrough(a, gateway.id)).toBe(false);
    const gw = await b.connect('gateway', gateway.token);
    await expect.poll(() => connectedThrough(a, gateway.id)).toBe(true);
    gw.socket.close();
    await gw.closed;
    await expect.poll(() => connectedThrough(a, gateway.id)).toBe(false);
  });

  it('a newer connection of an instance on one process replaces the older one on the other', async () => {
    const gateway = await gatewayOf(owner);
    const older = await a.connect('gateway', gateway.token);
    await b.connect('gateway', gateway.token);
    expect(await older.closed).toMatchObject({ code: CLOSE_CODES.replaced });
  });

  it('an agent changed through one process reaches a gateway connected to the other', async () => {
    const gw = await b.connect('gateway', (await gatewayOf(owner)).token);
    const first = await gw.next('config.sync');
    const agent = await a.http('POST', `/v1/workspaces/${wid}/agents`, {
      auth: owner.bearer,
      body: { name: 'Across', provider: 'openai', model: 'gpt-lab', baseUrl: 'https://api.llm.test/v1' },
    });
    expect(agent.status).toBe(201);
    const pushed = await gw.next('config.sync');
    expect(pushed.version).toBeGreaterThan(first.version);
    expect(pushed.agents.map((x) => x.id)).toContain(agent.body.id);
  });

  it('a task status from a gateway on one process reaches the members’ apps on the other', async () => {
    const gw = await a.connect('gateway', (await gatewayOf(owner)).token);
    const app = await b.connect('user', owner.bearer);
    const at = new Date().toISOString();
    gw.send({ type: 'task.status', taskId: 'across-1', seq: 1, state: 'running', detail: 'step 1', at });
    expect(await gw.next('task.status.ack')).toMatchObject({ taskId: 'across-1', seq: 1 });
    expect(await app.next('event.task')).toMatchObject({ workspaceId: wid, status: { taskId: 'across-1', seq: 1 } });
  });

  it('ICE signalling crosses processes, refusals read the same there, and removing the viewer ends it on both', async () => {
    const desk = await desktop('across');
    const viewer = await member('Viewer');
    await a.http('PUT', `/v1/workspaces/${wid}/instances/${desk.id}/viewers/${viewer.id}`, { auth: owner.bearer });
    const daemon = await b.connect('daemon', desk.token);
    const view = await a.connect('user', viewer.bearer);
    await expect.poll(() => connectedThrough(a, desk.id)).toBe(true);
    view.send({ type: 'rtc.offer', sessionId: 'across-ice-1', instanceId: desk.id, sdp: 'v=0 offer' });
    expect(await daemon.next('rtc.offer')).toEqual({
      type: 'rtc.offer',
      sessionId: 'across-ice-1',
      viewerUserId: viewer.id,
      sdp: 'v=0 offer',
    });
    daemon.send({ type: 'rtc.answer', sessionId: 'across-ice-1', sdp: 'v=0 answer' });
    expect(await view.next('rtc.answer')).toMatchObject({ sessionId: 'across-ice-1', sdp: 'v=0 answer' });
    const candidate = { candidate: 'candidate:1 1 UDP 1 198.18.0.66 4000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    view.send({ type: 'rtc.candidate', sessionId: 'across-ice-1', candidate });
    expect(await daemon.next('rtc.candidate')).toMatchObject({ sessionId: 'across-ice-1', candidate });

    // another member's socket on the desktop's process: it does not own the session
    const intruder = await b.connect('user', (await member('Intruder')).bearer);
    intruder.send({ type: 'rtc.candidate', sessionId: 'across-ice-1', candidate });
    expect(await intruder.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.candidate' });
    expect(b.logs.filter((l) => l.includes('"event":"rtc.refused"')).map((l) => JSON.parse(l).reason)).toContain(
      'socket does not own this session',
    );
    // the same id offered again through the other process
    const owners = await b.connect('user', owner.bearer);
    owners.send({ type: 'rtc.offer', sessionId: 'across-ice-1', instanceId: desk.id, sdp: 'v=0' });
    expect(await owners.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.offer' });

    await b.http('DELETE', `/v1/workspaces/${wid}/instances/${desk.id}/viewers/${viewer.id}`, { auth: owner.bearer });
    expect(await view.next('rtc.close')).toMatchObject({ sessionId: 'across-ice-1', reason: 'viewer access removed' });
    expect(await daemon.next('rtc.close')).toMatchObject({ sessionId: 'across-ice-1', reason: 'viewer access removed' });
  });

  it('a session held wholly by one process is still refused to sockets on the other', async () => {
    const desk = await desktop('held');
    const daemon = await a.connect('daemon', desk.token);
    const view = await a.connect('user', owner.bearer);
    view.send({ type: 'rtc.offer', sessionId: 'held-ice-1', instanceId: desk.id, sdp: 'v=0 offer' });
    await daemon.next('rtc.offer');
    const other = await b.connect('user', owner.bearer);
    const candidate = { candidate: 'candidate:1 1 UDP 1 198.18.0.66 4000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    other.send({ type: 'rtc.candidate', sessionId: 'held-ice-1', candidate });
    expect(await other.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.candidate' });
    const reasons = () => b.logs.filter((l) => l.includes('"event":"rtc.refused"')).map((l) => JSON.parse(l));
    expect(reasons().find((r) => r.sessionId === 'held-ice-1')?.reason).toBe('socket does not own this session');
    other.send({ type: 'rtc.offer', sessionId: 'held-ice-1', instanceId: desk.id, sdp: 'v=0 hijack' });
    expect(await other.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.offer' });
    expect(
      reasons()
        .filter((r) => r.sessionId === 'held-ice-1')
        .map((r) => r.reason),
    ).toContain('session id already in use');
  });

  it('when the desktop’s socket goes, the viewer on the other process hears rtc.close', async () => {
    const desk = await desktop('goes');
    const daemon = await a.connect('daemon', desk.token);
    const view = await b.connect('user', owner.bearer);
    await expect.poll(() => connectedThrough(b, desk.id)).toBe(true);
    view.send({ type: 'rtc.offer', sessionId: 'across-ice-2', instanceId: desk.id, sdp: 'v=0 offer' });
    await daemon.next('rtc.offer');
    daemon.socket.close();
    expect(await view.next('rtc.close')).toMatchObject({ sessionId: 'across-ice-2', reason: 'peer disconnected' });
  });

  it('a process that could not hear the others re-checks its sessions when it hears again', async () => {
    const u = await member('Missed');
    const onB = await b.connect('user', u.bearer);
    const db = new pg.Client({ connectionString: a.databaseUrl });
    await db.connect();
    try {
      // a revocation whose message b never got: written to the database, not announced
      await db.query("UPDATE bearers SET revoked_at = now(), revoked_why = 'sign-out' WHERE user_id = $1", [u.id]);
      const since = b.logs.length;
      const killed = await db.query(
        `SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a JOIN realtime_nodes n ON a.application_name = 'multiclaw-bus ' || n.node_id
          WHERE n.name = 'cloud-b' AND a.datname = current_database()`,
      );
      expect(killed.rowCount).toBe(1);
      expect(await onB.closed).toMatchObject({ code: CLOSE_CODES.revoked });
      expect(b.logs.slice(since).some((l) => l.includes('"event":"cluster.bus_back"'))).toBe(true);
    } finally {
      await db.end();
    }
  });
});
