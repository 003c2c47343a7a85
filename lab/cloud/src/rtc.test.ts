import { inviteAndAccept } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud, type TestSocket } from './test-helpers.ts';

let t: TestCloud;
type User = Awaited<ReturnType<TestCloud['user']>>;
let owner: User;
let viewer: User;
let member: User;
let stranger: User;
let desktopId: string;
let workspaceId: string;
let daemon: TestSocket<'daemon'>;
let otherDaemon: TestSocket<'daemon'>;

beforeAll(async () => {
  t = await startTestCloud();
  owner = await t.user('Owner');
  viewer = await t.user('Viewer');
  member = await t.user('Member');
  stranger = await t.user('Stranger');
  const wid = (await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id;
  workspaceId = wid;
  for (const u of [viewer, member]) {
    await inviteAndAccept(t, { ownerBearer: owner.bearer, wid: wid, member: u });
  }
  const desk = await t.http('POST', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer, body: { name: 'desk' } });
  desktopId = desk.body.instance.id;
  const byMember = await t.http('PUT', `/v1/workspaces/${wid}/instances/${desktopId}/viewers/${viewer.id}`, {
    auth: member.bearer,
  });
  expect(byMember.status).toBe(403);
  const granted = await t.http('PUT', `/v1/workspaces/${wid}/instances/${desktopId}/viewers/${viewer.id}`, {
    auth: owner.bearer,
  });
  expect(granted.status).toBe(204);
  daemon = await t.connect('daemon', desk.body.instanceToken);

  // a second workspace with its own desktop, owned by the stranger
  const otherWid = (await t.http('POST', '/v1/workspaces', { auth: stranger.bearer, body: { name: 'Other' } })).body.id;
  const otherDesk = await t.http('POST', `/v1/workspaces/${otherWid}/instances`, { auth: stranger.bearer, body: { name: 'd2' } });
  otherDaemon = await t.connect('daemon', otherDesk.body.instanceToken);
});
afterAll(() => t?.cloud.close());

const refusals = () => t.logs.filter((l) => l.includes('"event":"rtc.refused"')).map((l) => JSON.parse(l).reason as string);

describe('ICE signalling relay', () => {
  it('relays between an authorised viewer and the desktop, and refuses everyone else', async () => {
    const view = await t.connect('user', viewer.bearer);
    view.send({ type: 'rtc.offer', sessionId: 'session-ok-1', instanceId: desktopId, sdp: 'v=0 offer' });
    expect(await daemon.next('rtc.offer')).toEqual({
      type: 'rtc.offer',
      sessionId: 'session-ok-1',
      viewerUserId: viewer.id,
      sdp: 'v=0 offer',
    });
    daemon.send({ type: 'rtc.answer', sessionId: 'session-ok-1', sdp: 'v=0 answer' });
    expect(await view.next('rtc.answer')).toMatchObject({ sessionId: 'session-ok-1', sdp: 'v=0 answer' });

    // a member of another workspace
    const outsider = await t.connect('user', stranger.bearer);
    outsider.send({ type: 'rtc.offer', sessionId: 'session-bad-1', instanceId: desktopId, sdp: 'v=0' });
    expect(await outsider.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.offer' });
    // a member without viewer access
    const plain = await t.connect('user', member.bearer);
    plain.send({ type: 'rtc.offer', sessionId: 'session-bad-2', instanceId: desktopId, sdp: 'v=0' });
    expect(await plain.next('error')).toMatchObject({ code: 'forbidden' });
    // injecting into the live session from other sockets: a candidate from the outsider, an answer from another desktop
    const candidate = { candidate: 'candidate:1 1 UDP 1 198.18.0.66 4000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    outsider.send({ type: 'rtc.candidate', sessionId: 'session-ok-1', candidate });
    expect(await outsider.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.candidate' });
    otherDaemon.send({ type: 'rtc.answer', sessionId: 'session-ok-1', sdp: 'v=0 evil' });
    expect(await otherDaemon.next('error')).toMatchObject({ code: 'forbidden', ref: 'rtc.answer' });
    // hijacking the session id with a new offer
    outsider.send({ type: 'rtc.offer', sessionId: 'session-ok-1', instanceId: desktopId, sdp: 'v=0' });
    expect(await outsider.next('error')).toMatchObject({ code: 'forbidden' });

    expect(refusals()).toEqual([
      'viewer is not a member of the desktop workspace',
      'viewer is not on the desktop viewer list',
      'socket does not own this session',
      'socket does not own this session',
      'session id already in use',
    ]);

    // the authorised session still works, both ways, and nothing injected reached either side
    view.send({ type: 'rtc.candidate', sessionId: 'session-ok-1', candidate });
    expect(await daemon.next('rtc.candidate')).toMatchObject({ sessionId: 'session-ok-1', candidate });
    daemon.send({ type: 'rtc.candidate', sessionId: 'session-ok-1', candidate });
    expect(await view.next('rtc.candidate')).toMatchObject({ sessionId: 'session-ok-1' });
    expect(daemon.received.filter((f) => f.type === 'rtc.offer')).toHaveLength(1);
    expect(view.received.filter((f) => f.type === 'rtc.answer')).toEqual([expect.objectContaining({ sdp: 'v=0 answer' })]);

    view.send({ type: 'rtc.close', sessionId: 'session-ok-1', reason: 'done' });
    expect(await daemon.next('rtc.close')).toMatchObject({ sessionId: 'session-ok-1', reason: 'done' });
    for (const s of [view, outsider, plain]) s.close();
  });

  it('an owner may view without being on the list; the desktop hears when the viewer goes away', async () => {
    const ownerView = await t.connect('user', owner.bearer);
    ownerView.send({ type: 'rtc.offer', sessionId: 'session-owner', instanceId: desktopId, sdp: 'v=0' });
    expect(await daemon.next('rtc.offer')).toMatchObject({ sessionId: 'session-owner', viewerUserId: owner.id });
    ownerView.close();
    expect(await daemon.next('rtc.close')).toMatchObject({ sessionId: 'session-owner', reason: 'peer disconnected' });
  });

  it('removing a viewer from the list ends their session on both sides and refuses their next offer', async () => {
    const view = await t.connect('user', viewer.bearer);
    view.send({ type: 'rtc.offer', sessionId: 'session-revoke', instanceId: desktopId, sdp: 'v=0' });
    await daemon.next('rtc.offer');
    const path = `/v1/workspaces/${workspaceId}/instances/${desktopId}/viewers/${viewer.id}`;
    expect((await t.http('DELETE', path, { auth: owner.bearer })).status).toBe(204);
    expect(await view.next('rtc.close')).toMatchObject({ sessionId: 'session-revoke', reason: 'viewer access removed' });
    expect(await daemon.next('rtc.close')).toMatchObject({ sessionId: 'session-revoke' });
    view.send({ type: 'rtc.offer', sessionId: 'session-again', instanceId: desktopId, sdp: 'v=0' });
    expect(await view.next('error')).toMatchObject({ code: 'forbidden' });
    view.close();
  });

  it('an unauthenticated upgrade cannot reach the relay', async () => {
    const refused = await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1']);
    expect(refused.status).toBe(401);
    const forged = await t.refusedUpgrade('/v1/realtime/daemon', ['multiclaw.v1', 'token.eyJhbGciOiJub25lIn0.e30.']);
    expect(forged.status).toBe(401);
  });
});
