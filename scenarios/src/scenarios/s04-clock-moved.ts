import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChannelKind, OPENCLAW_CONFIG_FILE, routes } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';

const HOST = 's1-d1';
const GATEWAY = `${HOST}-gateway`;
const DAEMON = 'cd1-daemon';
const HOUR = 3600;

/**
 * The cloud's clock is moved forward (libfaketime on its host): a user token still opens at
 * 3 h 59 min and is refused past 4 h, while a daemon (cloud desktop) token still opens until
 * 23 h 59 min and is refused past 24 h. Meanwhile the apps renew their tokens by themselves on reconnect, without a sign-in,
 * and the long-lived bearer and workspace token keep working days later.
 */
export default defineScenario({
  id: 'S04-clock-moved',
  title: 'Clock moved: user WSS tokens refused after 4 h, daemon tokens after 24 h; clients renew; the bearer still works',
  claims: ['CS-34', 'CS-35', 'NS-13', 'NS-14', 'NS-21', 'CS-17', 'NS-11', 'CS-27'],
  tags: ['tokens', 'reconnect'],
  needs: ['clock', 'host-files'],
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const since = Date.now();
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
    ctx.onCleanup(() => lab.setClock('cloud', 0));

    await ctx.check(['NS-11', 'CS-27'], 'REST calls need the bearer, a credential separate from the gateway token', async () => {
      const anonymous = await ctx.api.raw('GET', '/v1/me');
      assert.equal(anonymous.status, 401, `GET /v1/me without a bearer answered ${anonymous.status}`);
      const gatewayToken = await workspaceToken(lab.hostFiles(HOST).home);
      assert.notEqual(gatewayToken, alice.bearer, 'the bearer and the gateway workspace token are the same string');
      assert.match(alice.bearer, /^mcb_/, 'sign-in did not return a bearer');
      assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer })).status, 200, 'the bearer does not work');
    });

    const tokens = await ctx.step('WSS tokens of each kind, minted at the real time', async () => {
      const gatewayToken = await workspaceToken(lab.hostFiles(HOST).home);
      const daemonCredential = await workspaceToken(lab.hostFiles('cd1').home);
      const mint = async (credential: string, channel: ChannelKind) => {
        const r = await ctx.api.request(routes.mintRealtimeToken, { credential, body: { channel } });
        return ctx.plant(r.token, `${channel} WSS token`);
      };
      const user = await mint(alice.bearer, 'user');
      const accepted = await ctx.tryRealtime('user', user);
      assert.equal(accepted.accepted, true, `a fresh user WSS token was refused (${accepted.status} ${accepted.code})`);
      const daemonBefore = Date.now();
      // a token opens one session: the checks of "still accepted at …" each get one left unused
      const result = {
        user,
        userLater: await mint(alice.bearer, 'user'),
        gateway: await mint(gatewayToken, 'gateway'),
        daemon: await mint(daemonCredential, 'daemon'),
        daemonAt4h: await mint(daemonCredential, 'daemon'),
        daemonAt24h: await mint(daemonCredential, 'daemon'),
        gatewayToken,
      };
      // the harness's daemon socket replaced the cloud desktop's; wait until it is back
      assert.equal((await ctx.tryRealtime('daemon', result.daemon)).accepted, true, 'a fresh daemon WSS token was refused');
      await ctx.waitForLog(DAEMON, { event: 'ws.welcome' }, { since: daemonBefore, timeoutMs: 60_000 });
      return result;
    });

    await ctx.check(['NS-13'], 'the WSS token is a separate token, not the bearer', async () => {
      assert.notEqual(tokens.user, alice.bearer, 'the WSS token is the bearer itself');
      assert.equal(
        (await ctx.api.raw('GET', '/v1/me', { credential: tokens.userLater })).status,
        401,
        'a WSS token works as a REST bearer',
      );
    });

    // A lifetime has two ends: the token must still work just before it, not only fail after it.
    await ctx.check(['CS-34'], 'at 3 h 59 min a user WSS token still opens its channel', async () => {
      await lab.setClock('cloud', 4 * HOUR - 60);
      const user = await ctx.tryRealtime('user', tokens.userLater);
      assert.equal(user.accepted, true, `a user WSS token was refused before its 4 h (${user.status} ${user.code})`);
    });

    const at4h = Date.now();
    const desktopAt4h = desktop.mark();
    await ctx.check(
      ['CS-34', 'NS-14'],
      'the cloud clock moves 4 h + 1 min ahead: user and gateway tokens are refused',
      async () => {
        await lab.setClock('cloud', 4 * HOUR + 60);
        const user = await ctx.tryRealtime('user', tokens.user);
        assert.deepEqual(
          { accepted: user.accepted, status: user.status, code: user.code },
          { accepted: false, status: 401, code: 'token_expired' },
          'a user WSS token was still accepted after 4 h',
        );
        const gateway = await ctx.tryRealtime('gateway', tokens.gateway);
        assert.equal(gateway.code, 'token_expired', `a gateway WSS token was still accepted after 4 h (${gateway.status})`);
      },
    );

    await ctx.check(['CS-35', 'NS-13'], 'after 4 h the clients renew their tokens on reconnect, without a sign-in', async () => {
      await ctx.waitForLog('cloud', { event: 'ws.closing', code: 4001, subject: alice.id, channel: 'user' }, { since: at4h });
      await ctx.waitForLog(GATEWAY, { event: 'ws.closed', code: 4001 }, { since: at4h });
      await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: at4h, timeoutMs: 60_000 });
      // the app says so once the new session's welcome arrived
      await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: desktopAt4h, timeoutMs: 60_000 });
      const renewed = ctx.events('cloud', { event: 'realtime.token_minted', channel: 'user', subject: alice.id }, at4h);
      assert.ok(renewed.length >= 1, 'the desktop did not mint a new WSS token');
      assert.equal(ctx.events('cloud', { event: 'auth.signed_in' }, since).length > 1, false, 'the desktop signed in again');
      const status = await desktop.call('status');
      assert.deepEqual({ state: status.state, signedIn: status.signedIn }, { state: 'connected', signedIn: true });
      assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer })).status, 200, 'the bearer stopped working');
    });

    await ctx.check(['CS-34'], 'at 4 h the daemon token still opens its channel', async () => {
      const before = Date.now();
      const daemon = await ctx.tryRealtime('daemon', tokens.daemonAt4h);
      assert.equal(daemon.accepted, true, `the daemon token was refused after 4 h (${daemon.status} ${daemon.code})`);
      await ctx.waitForLog(DAEMON, { event: 'ws.welcome' }, { since: before, timeoutMs: 60_000 });
      const expiredDaemon = ctx.events('cloud', { event: 'ws.closing', code: 4001, channel: 'daemon' }, at4h);
      assert.equal(expiredDaemon.length, 0, 'the cloud expired a daemon session at 4 h');
    });

    const atAlmost24h = Date.now();
    await ctx.check(['CS-34'], 'at 23 h 59 min the daemon token still opens its channel', async () => {
      const before = Date.now();
      await lab.setClock('cloud', 24 * HOUR - 60);
      const daemon = await ctx.tryRealtime('daemon', tokens.daemonAt24h);
      assert.equal(daemon.accepted, true, `the daemon token was refused before its 24 h (${daemon.status} ${daemon.code})`);
      await ctx.waitForLog(DAEMON, { event: 'ws.welcome' }, { since: before, timeoutMs: 60_000 });
    });

    await ctx.check(['CS-34'], 'the clock moves 24 h + 1 min ahead: the daemon token is refused too', async () => {
      await lab.setClock('cloud', 24 * HOUR + 60);
      const daemon = await ctx.tryRealtime('daemon', tokens.daemon);
      assert.deepEqual(
        { accepted: daemon.accepted, status: daemon.status, code: daemon.code },
        { accepted: false, status: 401, code: 'token_expired' },
        'the daemon WSS token was still accepted after 24 h',
      );
      // the gateway's session of 4 h ago expired on the way: it is back with a renewed token
      await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: atAlmost24h, timeoutMs: 60_000 });
    });

    const at3d = Date.now();
    await ctx.check(['CS-17', 'NS-21', 'NS-11'], 'three days later the bearer and the workspace token still work', async () => {
      await lab.setClock('cloud', 72 * HOUR);
      assert.equal((await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer })).status, 200, 'the bearer expired');
      const minted = await ctx.api.raw('POST', '/v1/realtime/token', {
        credential: tokens.gatewayToken,
        body: { channel: 'gateway' },
      });
      assert.equal(minted.status, 200, `the workspace token no longer mints session tokens (${minted.status})`);
      ctx.plant((minted.body as { token: string }).token, 'gateway WSS token minted three days later');
      await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: at3d, timeoutMs: 60_000 });
      await ctx.until(
        async () => (await desktop.call('status')).state === 'connected',
        'the desktop to be connected again',
        60_000,
      );
    });
    await lab.setClock('cloud', 0);
  },
});

/** The long-lived credential in a host's openclaw.json (documented plaintext there; not planted). */
async function workspaceToken(home: string): Promise<string> {
  const config = JSON.parse(await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8')) as { workspace: { authToken: string } };
  return config.workspace.authToken;
}
