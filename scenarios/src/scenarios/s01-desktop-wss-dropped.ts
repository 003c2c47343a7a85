import assert from 'node:assert/strict';
import { defineScenario } from '../define.ts';

const API = 'https://api.multiclaw.test/healthz';

/**
 * The desktop's real-time connection is cut twice on the site's link — a reset (the connection
 * dies loudly) and a blackhole (it goes silent) — and the app must come back by itself with the
 * bearer it has: a fresh WSS token each time, no sign-in.
 */
export default defineScenario({
  id: 'S01-desktop-wss-dropped',
  title: 'Desktop WSS dropped (reset, blackhole): reconnects by itself with its bearer',
  claims: ['NS-17', 'NS-18', 'CS-32', 'NS-04'],
  tags: ['reconnect', 'tokens'],
  needs: ['link-faults'],
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const desktop = await ctx.useDesktop('s1-d1', alice);
    const since = Date.now();

    for (const kind of ['reset', 'blackhole'] as const) {
      const mark = desktop.mark();
      const fault = await ctx.fault(lab.linkFault('s1', kind, { upstreams: ['api'] }));
      await ctx.step(`${kind}: the fault takes effect and the app's socket drops`, async () => {
        const probe = await lab.httpsProbe('s1-d1', API, { timeoutMs: 1_500 });
        assert.equal(probe.ok, false, `a request through the site link still worked during the ${kind}`);
        await desktop.waitForEvent({ event: 'realtime.dropped' }, { since: mark, timeoutMs: 30_000 });
      });
      await ctx.heal(fault);
      const healedAt = Date.now();
      await ctx.step(`${kind}: the link is back`, async () => {
        assert.equal((await lab.httpsProbe('s1-d1', API)).ok, true, 'the link did not come back after heal');
      });
      const reconnected = await ctx.check(['NS-17'], `after a ${kind} the app reconnects by itself`, async () => {
        const back = await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: mark, timeoutMs: 60_000 });
        // the cloud's side of it: a new user session of this account after the heal
        await ctx.waitForLog('cloud', { event: 'ws.opened', channel: 'user', subject: alice.id }, { since: healedAt });
        return back;
      });
      ctx.metric(`reconnect downtime after ${kind}`, Number(reconnected.json?.downtimeMs), 'ms');
    }

    await ctx.check(['NS-17', 'NS-18'], 'the app re-authenticated with its bearer: no sign-in', async () => {
      assert.equal(ctx.events('cloud', { event: 'auth.signed_in' }, since).length, 0, 'the app signed in again');
      const status = await desktop.call('status');
      assert.deepEqual({ state: status.state, signedIn: status.signedIn }, { state: 'connected', signedIn: true });
      assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer })).status, 200, 'the bearer stopped working');
    });

    await ctx.check(['CS-32', 'NS-04'], 'each connection used a fresh short-lived WSS token, not the bearer', async () => {
      // this app's user channel only: the site's other apps reconnect through the same faults
      const mints = ctx.events('cloud', { event: 'realtime.token_minted', channel: 'user', subject: alice.id }, since);
      assert.ok(mints.length >= 2, `expected a new WSS token per reconnect of this app, saw ${mints.length} mints`);
      assert.equal(new Set(mints.map((m) => m.jti)).size, mints.length, 'two mints carried the same token id');
      const opened = ctx.events('cloud', { event: 'ws.opened', channel: 'user', subject: alice.id }, since);
      assert.ok(opened.length <= mints.length, `${opened.length} sessions opened from ${mints.length} tokens`);
    });
  },
});
