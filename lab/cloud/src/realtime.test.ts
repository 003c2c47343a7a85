import { once } from 'node:events';
import { CLOSE_CODES, MAX_FRAME_BYTES } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

let t: TestCloud;
let owner: Awaited<ReturnType<TestCloud['user']>>;
let wid: string;
let desktopToken: string;
let gatewayToken: string;

beforeAll(async () => {
  t = await startTestCloud();
  owner = await t.user('Owner');
  wid = (await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id;
  desktopToken = (await t.http('POST', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer, body: { name: 'desk' } })).body
    .instanceToken;
  gatewayToken = (
    await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: owner.bearer, body: { deviceName: 'pc' } })
  ).body.authToken;
});
afterAll(() => t?.cloud.close());

describe('upgrade checks', () => {
  it('selects multiclaw.v1 and welcomes the subject', async () => {
    const socket = await t.connect('user', owner.bearer);
    expect(socket.socket.protocol).toBe('multiclaw.v1');
    expect(socket.received[0]).toMatchObject({ type: 'welcome', channel: 'user', subject: owner.id });
    socket.close();
  });

  it('refuses a token of the wrong kind with HTTP 401', async () => {
    const userToken = await t.mint(owner.bearer, 'user');
    const daemonToken = await t.mint(desktopToken, 'daemon');
    const gwToken = await t.mint(gatewayToken, 'gateway');
    for (const [path, token] of [
      ['/v1/realtime/gateway', userToken],
      ['/v1/realtime/daemon', userToken],
      ['/v1/realtime/user', daemonToken],
      ['/v1/realtime/user', gwToken],
      ['/v1/realtime/daemon', gwToken],
    ] as const) {
      const refused = await t.refusedUpgrade(path, ['multiclaw.v1', `token.${token}`]);
      expect(refused.status, `${path}`).toBe(401);
      expect(refused.body.error.code).toBe('unauthenticated');
    }
  });

  it('refuses a missing, forged or garbage token with HTTP 401 and an ErrorBody', async () => {
    const missing = await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1']);
    expect(missing.status).toBe(401);
    expect(missing.body.error.message).toMatch(/token/);
    const good = await t.mint(owner.bearer, 'user');
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(32).toString('base64url')}`;
    expect((await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1', `token.${forged}`])).status).toBe(401);
    expect((await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1', 'token.garbage'])).status).toBe(401);
    expect((await t.refusedUpgrade('/v1/realtime/nowhere', ['multiclaw.v1', `token.${good}`])).status).toBe(404);
  });

  it('a token opens one session: a replay of a used token is refused, also while it is valid', async () => {
    const token = await t.mint(owner.bearer, 'user');
    const first = new WebSocket(`${t.cloud.url.replace('https:', 'wss:')}/v1/realtime/user`, ['multiclaw.v1', `token.${token}`], {
      ca: t.ca,
    });
    await once(first, 'open');
    const replay = await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1', `token.${token}`]);
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/already opened a session/);
    first.close();
    // closing the session does not make the token usable again
    expect((await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1', `token.${token}`])).status).toBe(401);
    // a fresh token works
    const fresh = await t.connect('user', owner.bearer);
    expect(fresh.received[0]).toMatchObject({ type: 'welcome' });
    fresh.close();
  });

  it('user tokens expire at 4 h and daemon tokens at 24 h, at upgrade', async () => {
    const userToken = await t.mint(owner.bearer, 'user');
    const daemonToken = await t.mint(desktopToken, 'daemon');
    t.clock.advance((4 * 3600 + 1) * 1000);
    const late = await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1', `token.${userToken}`]);
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('token_expired');
    // the daemon token is still good after 4 h
    const daemon = new WebSocket(
      `${t.cloud.url.replace('https', 'wss')}/v1/realtime/daemon`,
      ['multiclaw.v1', `token.${daemonToken}`],
      {
        ca: t.ca,
      },
    );
    await once(daemon, 'open');
    daemon.close();
    await once(daemon, 'close');
    t.clock.advance(20 * 3600 * 1000);
    const dayLate = await t.refusedUpgrade('/v1/realtime/daemon', ['multiclaw.v1', `token.${daemonToken}`]);
    expect(dayLate.status).toBe(401);
    expect(dayLate.body.error.code).toBe('token_expired');
  });

  it('closes an open session whose token expired with 4001, and leaves fresh ones open', async () => {
    const old = await t.connect('user', owner.bearer);
    const daemon = await t.connect('daemon', desktopToken);
    t.clock.advance(4 * 3600 * 1000);
    const fresh = await t.connect('user', owner.bearer);
    expect(t.cloud.sweepNow()).toBe(1);
    expect((await old.closed).code).toBe(CLOSE_CODES.tokenExpired);
    expect(fresh.socket.readyState).toBe(WebSocket.OPEN);
    expect(daemon.socket.readyState).toBe(WebSocket.OPEN);
    fresh.close();
    daemon.close();
  });
});

describe('frames', () => {
  it('answers malformed frames with an error frame and stays open', async () => {
    const gw = await t.connect('gateway', gatewayToken);
    await gw.next('config.sync');
    gw.send('{not json');
    expect(await gw.next('error')).toMatchObject({ code: 'malformed_message' });
    gw.send({ type: 'task.status', taskId: 't', seq: 'one' });
    expect(await gw.next('error')).toMatchObject({ code: 'malformed_message', ref: 'task.status' });
    gw.send({ type: 'rtc.offer', sessionId: 'abcdefgh', instanceId: 'x', sdp: 'v=0' }); // not a gateway frame
    expect(await gw.next('error')).toMatchObject({ code: 'malformed_message', ref: 'rtc.offer' });
    gw.send({ type: 'transcript.sync', conversationId: 'nul\u0000id', revision: 1, messages: [] });
    expect(await gw.next('error')).toMatchObject({ code: 'malformed_message', ref: 'transcript.sync' });
    gw.send({ type: 'config.ack', version: 1 });
    gw.send({ type: 'transcript.sync', conversationId: 'c1', revision: 1, messages: [] });
    expect(await gw.next('transcript.ack')).toMatchObject({ conversationId: 'c1', revision: 1 });
    gw.close();
  });

  it('refuses a frame larger than MAX_FRAME_BYTES by closing with 1009', async () => {
    const gw = await t.connect('gateway', gatewayToken);
    gw.send('x'.repeat(MAX_FRAME_BYTES + 1));
    expect((await gw.closed).code).toBe(1009);
  });

  it('a newer connection of the same instance replaces the older one (4409)', async () => {
    const first = await t.connect('daemon', desktopToken);
    const second = await t.connect('daemon', desktopToken);
    expect((await first.closed).code).toBe(CLOSE_CODES.replaced);
    expect(second.socket.readyState).toBe(WebSocket.OPEN);
    second.close();
  });
});

describe('heartbeat', () => {
  it('terminates a socket that stops answering pings, and keeps one that answers', async () => {
    await using hb = await startTestCloud({ heartbeat: { intervalMs: 50, timeoutMs: 50 } });
    const someone = await hb.user('Hb');
    const url = `${hb.cloud.url.replace('https', 'wss')}/v1/realtime/user`;
    const open = async (autoPong: boolean) => {
      const socket = new WebSocket(url, ['multiclaw.v1', `token.${await hb.mint(someone.bearer, 'user')}`], {
        ca: hb.ca,
        autoPong,
      });
      await once(socket, 'open');
      return socket;
    };
    const healthy = await open(true);
    const silent = await open(false);
    const [code] = await once(silent, 'close');
    expect(code).toBe(1006); // terminated: no close frame to a dead peer
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    expect(hb.logs.filter((l) => l.includes('"event":"ws.heartbeat_timeout"'))).toHaveLength(1);
    healthy.close();
  });
});
