import { CLOSE_CODES, inviteAndAccept } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

let t: TestCloud;
beforeAll(async () => {
  // no lockout setting: the tests below check the documented defaults (5 failures in 15 min → 15 min)
  t = await startTestCloud();
});
afterAll(() => t?.cloud.close());

const signIn = (email: string, password: string) => t.http('POST', '/v1/auth/sign-in', { body: { email, password } });

async function workspaceWith(owner: { bearer: string }, ...members: { email: string; bearer: string }[]) {
  const ws = await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'Acme' } });
  expect(ws.status).toBe(201);
  for (const m of members) {
    await inviteAndAccept(t, { ownerBearer: owner.bearer, wid: ws.body.id, member: m });
  }
  return ws.body.id as string;
}

describe('sign-in and lockout', () => {
  it('signs in with the right password and refuses a wrong one', async () => {
    const alice = await t.user('Alice');
    const me = await t.http('GET', '/v1/me', { auth: alice.bearer });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(alice.email);
    expect(alice.bearer).toMatch(/^mcb_[A-Za-z0-9_-]{43}$/);
    const wrong = await signIn(alice.email, 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const unknown = await signIn('nobody@example.test', 'whatever1');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_credentials');
  });

  it('locks after 5 failures in 15 minutes, refuses even the right password, and recovers after the lockout', async () => {
    const bob = await t.user('Bob');
    for (let i = 0; i < 4; i++) expect((await signIn(bob.email, `wrong-${i}-password`)).status).toBe(401);
    const fifth = await signIn(bob.email, 'wrong-5-password');
    expect(fifth.status).toBe(423);
    expect(fifth.body.error.code).toBe('account_locked');
    expect(fifth.body.error.retryAfterSeconds).toBe(15 * 60);

    t.clock.advance(5 * 60_000);
    const rightButLocked = await signIn(bob.email, bob.password);
    expect(rightButLocked.status).toBe(423);
    expect(rightButLocked.body.error.retryAfterSeconds).toBe(10 * 60);
    expect(rightButLocked.headers['retry-after']).toBe('600');

    t.clock.advance(10 * 60_000 + 1_000);
    const recovered = await signIn(bob.email, bob.password);
    expect(recovered.status).toBe(200);
    expect(recovered.body.bearer).toMatch(/^mcb_/);
  });

  it('does not lock when the failures are spread beyond the window', async () => {
    const carol = await t.user('Carol');
    for (let i = 0; i < 4; i++) expect((await signIn(carol.email, 'wrong password')).status).toBe(401);
    t.clock.advance(16 * 60_000);
    for (let i = 0; i < 4; i++) expect((await signIn(carol.email, 'wrong password')).status).toBe(401);
    expect((await signIn(carol.email, carol.password)).status).toBe(200);
  });

  it('takes its thresholds from configuration: 2 failures within 60 s lock for 30 s', async () => {
    await using strict = await startTestCloud({ lockout: { maxFailures: 2, windowSeconds: 60, lockSeconds: 30 } });
    const u = await strict.user('Strict');
    const attempt = (password: string) => strict.http('POST', '/v1/auth/sign-in', { body: { email: u.email, password } });
    expect((await attempt('wrong password 1')).status).toBe(401);
    const second = await attempt('wrong password 2');
    expect(second.status).toBe(423);
    expect(second.body.error.retryAfterSeconds).toBe(30);
    strict.clock.advance(31_000);
    expect((await attempt(u.password)).status).toBe(200);
    // the window is configured too: two failures 61 s apart do not lock
    expect((await attempt('wrong password 3')).status).toBe(401);
    strict.clock.advance(61_000);
    expect((await attempt('wrong password 4')).status).toBe(401);
    expect((await attempt(u.password)).status).toBe(200);
  });

  it('a partial lockout setting keeps the documented defaults for the rest (5 failures, 15 min lock)', async () => {
    await using partial = await startTestCloud({ lockout: { lockSeconds: 45, maxFailures: undefined } });
    const u = await partial.user('Partial');
    const attempt = (password: string) => partial.http('POST', '/v1/auth/sign-in', { body: { email: u.email, password } });
    for (let i = 0; i < 4; i++) expect((await attempt(`wrong ${i} password`)).status).toBe(401);
    const fifth = await attempt('wrong 5 password');
    expect(fifth.status).toBe(423);
    expect(fifth.body.error.retryAfterSeconds).toBe(45);
  });

  it('refuses a duplicate sign-up and bad bodies', async () => {
    const dave = await t.user('Dave');
    const again = await t.http('POST', '/v1/auth/sign-up', {
      body: { email: dave.email, password: 'another password', name: 'D' },
    });
    expect(again.status).toBe(409);
    const short = await t.http('POST', '/v1/auth/sign-up', { body: { email: 'x@example.test', password: 'short', name: 'X' } });
    expect(short.status).toBe(400);
    expect(short.body.error.issues[0].path).toBe('password');
    // bcrypt would silently ignore everything after 72 bytes
    const long = await t.http('POST', '/v1/auth/sign-up', {
      body: { email: 'y@example.test', password: 'é'.repeat(40), name: 'Y' },
    });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toMatch(/72 bytes/);
  });
});

describe('bearer revocation closes sockets with 4003 and refuses a new token', () => {
  it('sign-out revokes only that bearer', async () => {
    const erin = await t.user('Erin');
    const other = await signIn(erin.email, erin.password);
    const socket = await t.connect('user', erin.bearer);
    const otherSocket = await t.connect('user', other.body.bearer);
    expect((await t.http('POST', '/v1/auth/sign-out', { auth: erin.bearer })).status).toBe(204);
    expect((await socket.closed).code).toBe(CLOSE_CODES.revoked);
    expect((await t.http('GET', '/v1/me', { auth: erin.bearer })).status).toBe(401);
    const remint = await t.http('POST', '/v1/realtime/token', { auth: erin.bearer, body: { channel: 'user' } });
    expect(remint.status).toBe(401);
    // the other device keeps working
    expect((await t.http('GET', '/v1/me', { auth: other.body.bearer })).status).toBe(200);
    expect(otherSocket.socket.readyState).toBe(otherSocket.socket.OPEN);
    otherSocket.close();
  });

  it('a WSS token minted before sign-out no longer opens a socket', async () => {
    const fay = await t.user('Fay');
    const token = await t.mint(fay.bearer, 'user');
    await t.http('POST', '/v1/auth/sign-out', { auth: fay.bearer });
    const refused = await t.refusedUpgrade('/v1/realtime/user', ['multiclaw.v1', `token.${token}`]);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthenticated');
  });

  it('password change revokes every bearer of the user on every device', async () => {
    const gus = await t.user('Gus');
    const laptop = await signIn(gus.email, gus.password);
    const a = await t.connect('user', gus.bearer);
    const b = await t.connect('user', laptop.body.bearer);
    const changed = await t.http('POST', '/v1/auth/password', {
      auth: gus.bearer,
      body: { currentPassword: gus.password, newPassword: 'a brand new password' },
    });
    expect(changed.status).toBe(204);
    expect((await a.closed).code).toBe(CLOSE_CODES.revoked);
    expect((await b.closed).code).toBe(CLOSE_CODES.revoked);
    for (const bearer of [gus.bearer, laptop.body.bearer]) {
      expect((await t.http('POST', '/v1/realtime/token', { auth: bearer, body: { channel: 'user' } })).status).toBe(401);
    }
    expect((await signIn(gus.email, gus.password)).status).toBe(401);
    expect((await signIn(gus.email, 'a brand new password')).status).toBe(200);
  });

  it('a wrong current password does not change it', async () => {
    const hal = await t.user('Hal');
    const res = await t.http('POST', '/v1/auth/password', {
      auth: hal.bearer,
      body: { currentPassword: 'not my password', newPassword: 'a brand new password' },
    });
    expect(res.status).toBe(401);
    expect((await t.http('GET', '/v1/me', { auth: hal.bearer })).status).toBe(200);
  });

  it('an owner forces a member to sign out; a member cannot do it to the owner', async () => {
    const owner = await t.user('Ivy');
    const member = await t.user('Jon');
    const wid = await workspaceWith(owner, member);
    const socket = await t.connect('user', member.bearer);
    const byMember = await t.http('POST', `/v1/workspaces/${wid}/members/${owner.id}/sign-out`, { auth: member.bearer });
    expect(byMember.status).toBe(403);
    const forced = await t.http('POST', `/v1/workspaces/${wid}/members/${member.id}/sign-out`, { auth: owner.bearer });
    expect(forced.status).toBe(204);
    expect((await socket.closed).code).toBe(CLOSE_CODES.revoked);
    expect((await t.http('POST', '/v1/realtime/token', { auth: member.bearer, body: { channel: 'user' } })).status).toBe(401);
    expect((await t.http('GET', '/v1/me', { auth: owner.bearer })).status).toBe(200);
  });
});

describe('user removal', () => {
  it("closes that user's sockets on every device (user and gateway) while another user's stay open", async () => {
    const owner = await t.user('Kim');
    const leaver = await t.user('Lee');
    const stayer = await t.user('May');
    const wid = await workspaceWith(owner, leaver, stayer);
    const leaverPhone = await signIn(leaver.email, leaver.password);
    const gw = await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, {
      auth: leaver.bearer,
      body: { deviceName: 'laptop' },
    });
    expect(gw.status).toBe(201);
    expect(gw.body.authToken).toMatch(/^mcg_/);

    const leaverDesk = await t.connect('user', leaver.bearer);
    const leaverMobile = await t.connect('user', leaverPhone.body.bearer);
    const leaverGateway = await t.connect('gateway', gw.body.authToken);
    const stayerDesk = await t.connect('user', stayer.bearer);
    const gatewayToken = await t.mint(gw.body.authToken, 'gateway');

    const removed = await t.http('DELETE', `/v1/workspaces/${wid}/members/${leaver.id}`, { auth: owner.bearer });
    expect(removed.status).toBe(204);
    for (const s of [leaverDesk, leaverMobile, leaverGateway]) expect((await s.closed).code).toBe(CLOSE_CODES.revoked);

    for (const credential of [leaver.bearer, leaverPhone.body.bearer]) {
      expect((await t.http('GET', '/v1/me', { auth: credential })).status).toBe(401);
    }
    const gwMint = await t.http('POST', '/v1/realtime/token', { auth: gw.body.authToken, body: { channel: 'gateway' } });
    expect(gwMint.status).toBe(401);
    const old = await t.refusedUpgrade('/v1/realtime/gateway', ['multiclaw.v1', `token.${gatewayToken}`]);
    expect(old.status).toBe(401);

    expect(stayerDesk.socket.readyState).toBe(stayerDesk.socket.OPEN);
    expect((await t.http('GET', '/v1/me', { auth: stayer.bearer })).status).toBe(200);
    stayerDesk.close();
  });

  it('cannot remove the last owner, and a member cannot remove anyone', async () => {
    const owner = await t.user('Ned');
    const member = await t.user('Ola');
    const wid = await workspaceWith(owner, member);
    const byMember = await t.http('DELETE', `/v1/workspaces/${wid}/members/${owner.id}`, { auth: member.bearer });
    expect(byMember.status).toBe(403);
    const self = await t.http('DELETE', `/v1/workspaces/${wid}/members/${owner.id}`, { auth: owner.bearer });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('conflict');
    expect((await t.http('GET', `/v1/workspaces/${wid}/members`, { auth: owner.bearer })).body.members).toHaveLength(2);
  });
});

describe('trust zones', () => {
  it('a gateway credential does not work on desktop routes, and a bearer cannot open a gateway channel', async () => {
    const pat = await t.user('Pat');
    const wid = await workspaceWith(pat);
    const gw = await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: pat.bearer, body: { deviceName: 'pc' } });
    const me = await t.http('GET', '/v1/me', { auth: gw.body.authToken });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthenticated');
    expect((await t.http('GET', `/v1/workspaces/${wid}/agents`, { auth: gw.body.authToken })).status).toBe(401);
    const wrongChannel = await t.http('POST', '/v1/realtime/token', { auth: pat.bearer, body: { channel: 'gateway' } });
    expect(wrongChannel.status).toBe(403);
    const gwAsUser = await t.http('POST', '/v1/realtime/token', { auth: gw.body.authToken, body: { channel: 'user' } });
    expect(gwAsUser.status).toBe(403);
  });

  it("one user's tokens cannot read another workspace", async () => {
    const quinn = await t.user('Quinn');
    const rae = await t.user('Rae');
    const wid = await workspaceWith(quinn);
    for (const path of [`/v1/workspaces/${wid}/members`, `/v1/workspaces/${wid}/agents`, `/v1/workspaces/${wid}/instances`]) {
      const res = await t.http('GET', path, { auth: rae.bearer });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const gw = await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: rae.bearer, body: { deviceName: 'x' } });
    expect(gw.status).toBe(404);
  });
});
