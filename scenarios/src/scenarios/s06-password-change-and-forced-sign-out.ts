import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DesktopDriver } from '@multiclaw-lab/core';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';

const PROFILE = '.multiclaw-desktop';
const STORAGE = 'local-storage.json';
/**
 * How long the scenario watches for further token requests after an app reported signed out.
 * An absence can only be seen over a window; with the app's backoff (250 ms base) a retrying app
 * would have asked many times within it. This is an observation window, not a pass/fail timing.
 */
const RETRY_WINDOW_MS = 5_000;

/**
 * The cloud revokes a bearer three ways — the user changes the password, an owner forces a
 * sign-out, the user signs out — and the desktop app must notice: report signed out, drop the
 * bearer from its storage, and stop: exactly one refused token request, then nothing.
 */
export default defineScenario({
  id: 'S06-password-change-and-forced-sign-out',
  title: 'Password change and forced sign-out: the bearer is revoked; the desktop reports signed out and stops retrying',
  claims: ['NS-18', 'SO-12', 'CS-06', 'CS-31', 'CS-38', 'NS-12'],
  tags: ['tokens'],
  needs: ['host-files'],
  desktopHosts: 3,
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;

    const alice = await ctx.account('alice');
    const aliceDesktop = await ctx.step('Alice signed in on a desktop', () => ctx.useDesktop('s1-d1', alice));
    const newPassword = ctx.plant(`pw-${randomBytes(12).toString('base64url')}`, 'new password of alice');
    await ctx.check(
      ['NS-18'],
      'a password change revokes every bearer of the user; the app reports signed out and stops',
      async () => {
        const desktop = aliceDesktop;
        const bearer = await storedBearer(ctx, 's1-d1');
        const mark = desktop.mark();
        const changedAt = Date.now();
        await desktop.call('changePassword', { currentPassword: alice.password, newPassword });
        // the other session (the harness's own sign-in) is the one a password change exists to end
        for (const [name, b] of [
          ['the harness', alice.bearer],
          ['the desktop', bearer],
        ] as const) {
          const me = await ctx.api.raw('GET', '/v1/me', { credential: b });
          assert.equal(me.status, 401, `the bearer of ${name} still works after the password change`);
        }
        await signedOutAndQuiet(ctx, desktop, mark, changedAt, 'password-change', alice.id);
        assert.equal(await storedBearer(ctx, 's1-d1').catch(() => undefined), undefined, 'the revoked bearer is still stored');
      },
    );

    await ctx.check(['SO-12'], 'signing in with email and the new password is the way back; the old one is refused', async () => {
      const desktop = aliceDesktop;
      const old = await ctx.api.raw('POST', '/v1/auth/sign-in', { body: { email: alice.email, password: alice.password } });
      assert.equal(old.status, 401, `the old password still signs in (${old.status})`);
      // signing in again, with the new password, is the way back
      await desktop.call('signIn', { email: alice.email, password: newPassword });
      const back = desktop.mark();
      await desktop.call('connect');
      await desktop.waitForEvent({ event: 'realtime.connected' }, { since: back, timeoutMs: 30_000 });
    });

    const owner = await ctx.account('owner');
    const bob = await ctx.account('bob');
    const { workspaceId, bobDesktop } = await ctx.step('Bob, a member, signed in on a desktop', async () => {
      const workspaceId = await ctx.workspace(owner, [{ account: bob }]);
      return { workspaceId, bobDesktop: await ctx.useDesktop('s1-d2', bob) };
    });
    await ctx.check(['NS-18'], "forced sign-out by an owner: the member's bearers are revoked", async () => {
      const desktop = bobDesktop;
      const bearer = await storedBearer(ctx, 's1-d2');
      const mark = desktop.mark();
      const forcedAt = Date.now();
      const res = await ctx.api.raw('POST', `/v1/workspaces/${workspaceId}/members/${bob.id}/sign-out`, {
        credential: owner.bearer,
      });
      assert.equal(res.status, 204, `the forced sign-out answered ${res.status}`);
      for (const b of [bearer, bob.bearer]) {
        assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: b })).status, 401, 'a bearer of Bob still works');
      }
      await signedOutAndQuiet(ctx, desktop, mark, forcedAt, 'forced-sign-out', bob.id);
      // the account itself is fine: the password still signs in
      const again = await ctx.api.raw('POST', '/v1/auth/sign-in', { body: { email: bob.email, password: bob.password } });
      assert.equal(again.status, 200, `Bob cannot sign in again after the forced sign-out (${again.status})`);
      // a member cannot do this to others
      const byMember = await ctx.api.raw('POST', `/v1/workspaces/${workspaceId}/members/${owner.id}/sign-out`, {
        credential: (again.body as { bearer: string }).bearer,
      });
      assert.equal(byMember.status, 403, `a member forced the owner's sign-out (${byMember.status})`);
    });

    const carol = await ctx.account('carol');
    await ctx.step('Carol signed in on a desktop', () => ctx.useDesktop('s1-d3', carol));
    const profile = join(lab.hostFiles('s1-d3').home, PROFILE);
    const carolBearer = await ctx.check(['CS-06', 'NS-12'], 'the bearer lies in the owner-only local storage', async () => {
      const bearer = await storedBearer(ctx, 's1-d3');
      assert.equal((await stat(profile)).mode & 0o777, 0o700, 'the desktop profile folder is not owner-only');
      assert.equal((await stat(join(profile, STORAGE))).mode & 0o777, 0o600, 'the local storage file is not owner-only');
      return bearer;
    });
    await ctx.check(['NS-12'], 'the bearer persists across an app restart: the app connects without a sign-in', async () => {
      const restartedAt = Date.now();
      await lab.restart('s1-d3-desktop');
      const desktop = lab.desktop('s1-d3');
      const status = await desktop.call('status');
      assert.equal(status.signedIn, true, 'the app forgot its bearer when it restarted');
      await desktop.call('connect');
      assert.equal(ctx.events('cloud', { event: 'auth.signed_in' }, restartedAt).length, 0, 'the restarted app signed in');
    });
    await ctx.check(
      ['CS-31', 'CS-06', 'CS-38', 'NS-12'],
      'signing out clears the bearer from local storage and the cloud revokes it',
      async () => {
        const bearer = carolBearer;
        const desktop = lab.desktop('s1-d3');
        const out = await desktop.call('signOut');
        assert.equal(out.revokedByCloud, true, 'the cloud did not confirm the sign-out');
        const stored = await readFile(join(profile, STORAGE), 'utf8').catch(() => '');
        assert.equal(stored.includes(bearer), false, 'the bearer is still in local storage after sign-out');
        assert.equal(
          (await ctx.api.raw('GET', '/v1/me', { credential: bearer })).status,
          401,
          'the signed-out bearer still works',
        );
      },
    );
  },
});

/** The bearer in a desktop host's profile (documented plaintext there; never planted). */
async function storedBearer(ctx: ScenarioContext, host: string): Promise<string> {
  const file = join(ctx.lab.hostFiles(host).home, PROFILE, STORAGE);
  const bearer = (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>)['multiclaw.bearer'];
  if (!bearer) throw new Error(`no bearer stored on ${host}`);
  return bearer;
}

/**
 * The app's socket is closed with 4003; it asks the cloud once for a token, is refused, reports
 * signed out, and asks no more.
 */
async function signedOutAndQuiet(
  ctx: ScenarioContext,
  desktop: DesktopDriver,
  mark: number,
  since: number,
  why: string,
  userId: string,
): Promise<void> {
  await ctx.waitForLog('cloud', { event: 'auth.bearers_revoked', why }, { since });
  const signedOut = await desktop.waitForEvent({ event: 'signed-out', reason: 'revoked' }, { since: mark, timeoutMs: 30_000 });
  const status = await desktop.call('status');
  assert.deepEqual({ state: status.state, signedIn: status.signedIn }, { state: 'signed-out', signedIn: false });
  await sleep(RETRY_WINDOW_MS);
  // The cloud's request log does not say whose request it was (other apps of the site ask too),
  // so the cloud side is judged per user, the "once, then no more" at the app.
  const minted = ctx.events('cloud', { event: 'realtime.token_minted', channel: 'user', subject: userId }, since);
  assert.equal(minted.length, 0, `the cloud minted ${minted.length} WSS tokens for the revoked user`);
  const refused = ctx.events('cloud', { event: 'http.request', route: '/v1/realtime/token', status: 401 }, since);
  assert.ok(refused.length >= 1, 'the cloud refused no token request after the revocation');
  const unauthorized = desktop.events({ event: 'realtime.unauthorized' }, mark);
  assert.equal(unauthorized.length, 1, `the app was refused a token ${unauthorized.length} times, expected once`);
  const after = desktop.events({ event: 'realtime.connecting' }, desktop.process.lines.indexOf(signedOut));
  assert.equal(after.length, 0, 'the app kept trying to connect after it reported signed out');
}
