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
  needs: [],
  desktopHosts: 3,
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;

    await ctx.step('password change: every bearer of the user is revoked', async () => {
      const alice = await ctx.account('alice');
      const desktop = await ctx.useDesktop('s1-d1', alice);
      const bearer = await storedBearer(ctx, 's1-d1');
      const newPassword = ctx.plant(`pw-${randomBytes(12).toString('base64url')}`, 'new password of alice');
      const mark = desktop.mark();
      const changedAt = Date.now();
      await desktop.call('changePassword', { currentPassword: alice.password, newPassword });
      await signedOutAndQuiet(ctx, desktop, mark, changedAt, 'password-change');
      for (const [name, b] of [
        ['the desktop', bearer],
        ['the harness', alice.bearer],
      ] as const) {
        const me = await ctx.api.raw('GET', '/v1/me', { credential: b });
        assert.equal(me.status, 401, `the bearer of ${name} still works after the password change`);
      }
      assert.equal(await storedBearer(ctx, 's1-d1').catch(() => undefined), undefined, 'the revoked bearer is still stored');
      const old = await ctx.api.raw('POST', '/v1/auth/sign-in', { body: { email: alice.email, password: alice.password } });
      assert.equal(old.status, 401, `the old password still signs in (${old.status})`);
      // signing in again, with the new password, is the way back
      await desktop.call('signIn', { email: alice.email, password: newPassword });
      const back = desktop.mark();
      await desktop.call('connect');
      await desktop.waitForEvent({ event: 'realtime.connected' }, { since: back, timeoutMs: 30_000 });
    });

    await ctx.step("forced sign-out by an owner: the member's bearers are revoked", async () => {
      const owner = await ctx.account('owner');
      const bob = await ctx.account('bob');
      const workspaceId = await ctx.workspace(owner, [{ account: bob }]);
      const desktop = await ctx.useDesktop('s1-d2', bob);
      const bearer = await storedBearer(ctx, 's1-d2');
      const mark = desktop.mark();
      const forcedAt = Date.now();
      const res = await ctx.api.raw('POST', `/v1/workspaces/${workspaceId}/members/${bob.id}/sign-out`, {
        credential: owner.bearer,
      });
      assert.equal(res.status, 204, `the forced sign-out answered ${res.status}`);
      await signedOutAndQuiet(ctx, desktop, mark, forcedAt, 'forced-sign-out');
      for (const b of [bearer, bob.bearer]) {
        assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: b })).status, 401, 'a bearer of Bob still works');
      }
      // the account itself is fine: the password still signs in
      const again = await ctx.api.raw('POST', '/v1/auth/sign-in', { body: { email: bob.email, password: bob.password } });
      assert.equal(again.status, 200, `Bob cannot sign in again after the forced sign-out (${again.status})`);
      // a member cannot do this to others
      const byMember = await ctx.api.raw('POST', `/v1/workspaces/${workspaceId}/members/${owner.id}/sign-out`, {
        credential: (again.body as { bearer: string }).bearer,
      });
      assert.equal(byMember.status, 403, `a member forced the owner's sign-out (${byMember.status})`);
    });

    await ctx.step('sign-out: the bearer persists until then, and is then gone from storage and refused', async () => {
      const carol = await ctx.account('carol');
      await ctx.useDesktop('s1-d3', carol);
      const profile = join(lab.hostFiles('s1-d3').home, PROFILE);
      const bearer = await storedBearer(ctx, 's1-d3');
      assert.equal((await stat(profile)).mode & 0o777, 0o700, 'the desktop profile folder is not owner-only');
      assert.equal((await stat(join(profile, STORAGE))).mode & 0o777, 0o600, 'the local storage file is not owner-only');
      // the app restarts: it still holds the bearer and connects without a sign-in
      const restartedAt = Date.now();
      await lab.restart('s1-d3-desktop');
      const desktop = lab.desktop('s1-d3');
      const status = await desktop.call('status');
      assert.equal(status.signedIn, true, 'the app forgot its bearer when it restarted');
      await desktop.call('connect');
      assert.equal(ctx.events('cloud', { event: 'auth.signed_in' }, restartedAt).length, 0, 'the restarted app signed in');
      const out = await desktop.call('signOut');
      assert.equal(out.revokedByCloud, true, 'the cloud did not confirm the sign-out');
      const stored = await readFile(join(profile, STORAGE), 'utf8').catch(() => '');
      assert.equal(stored.includes(bearer), false, 'the bearer is still in local storage after sign-out');
      assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: bearer })).status, 401, 'the signed-out bearer still works');
    });
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
): Promise<void> {
  await ctx.waitForLog('cloud', { event: 'auth.bearers_revoked', why }, { since });
  const signedOut = await desktop.waitForEvent({ event: 'signed-out', reason: 'revoked' }, { since: mark, timeoutMs: 30_000 });
  const status = await desktop.call('status');
  assert.deepEqual({ state: status.state, signedIn: status.signedIn }, { state: 'signed-out', signedIn: false });
  await sleep(RETRY_WINDOW_MS);
  const asked = ctx.events('cloud', { event: 'http.request', route: '/v1/realtime/token' }, since);
  assert.deepEqual(
    asked.map((e) => e.status),
    [401],
    `expected exactly one refused token request after the revocation, saw ${JSON.stringify(asked.map((e) => e.status))}`,
  );
  const after = desktop.events({ event: 'realtime.connecting' }, desktop.process.lines.indexOf(signedOut));
  assert.equal(after.length, 0, 'the app kept trying to connect after it reported signed out');
}
