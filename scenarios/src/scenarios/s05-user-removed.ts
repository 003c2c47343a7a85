import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesktopDriver } from '@multiclaw-lab/core';
import { type ChannelKind, OPENCLAW_CONFIG_FILE, routes } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';

const BOB_HOSTS = ['s1-d1', 's1-d2'] as const;
const CAROL_HOST = 's1-d3';

/** What one device of a user holds: its bearer (desktop profile) and its gateway's workspace token. */
interface DeviceTokens {
  host: string;
  bearer: string;
  workspaceToken: string;
  /** WSS tokens minted from them before the removal (planted) */
  userWss: string;
  gatewayWss: string;
}

/**
 * Bob is signed in on two desktops, each with its gateway linked; Carol on a third. An owner
 * removes Bob from the workspace: every token of Bob on both devices stops working, his open
 * sockets close, the apps' reconnects are refused, and Carol notices nothing. Before that, it
 * checks that nothing revokes just one device: no such API exists, and signing out one
 * session leaves the others working.
 */
export default defineScenario({
  id: 'S05-user-removed',
  title: "User removed by an owner: the user's tokens die on every device; others untouched; no per-device revocation",
  claims: ['CS-05', 'CS-23', 'CS-24', 'CS-36', 'CS-38', 'CS-39', 'CS-40', 'CS-41', 'CS-18'],
  tags: ['tokens'],
  needs: [],
  desktopHosts: 3,
  timeoutMs: 240_000,
  async run(ctx) {
    const owner = await ctx.account('owner');
    const bob = await ctx.account('bob');
    const carol = await ctx.account('carol');
    const workspaceId = await ctx.workspace(owner, [{ account: bob }, { account: carol }]);
    const since = Date.now();
    const bobDesktops: DesktopDriver[] = [];
    for (const host of BOB_HOSTS) bobDesktops.push(await ctx.useDesktop(host, bob, { workspaceId }));
    const carolDesktop = await ctx.useDesktop(CAROL_HOST, carol, { workspaceId });
    const devices: DeviceTokens[] = [];
    for (const host of BOB_HOSTS) devices.push(await deviceTokens(ctx, host));
    const carolDevice = await deviceTokens(ctx, CAROL_HOST);
    assert.notEqual(devices[0]!.bearer, devices[1]!.bearer, "Bob's two desktops share one bearer");

    await ctx.step('there is no per-device revocation', async () => {
      const gateways = await ctx.api.request(routes.listInstances, { credential: owner.bearer, params: { wid: workspaceId } });
      const bobGateway = gateways.instances.find((i) => i.userId === bob.id && i.kind === 'gateway');
      assert.ok(bobGateway, "the owner does not see Bob's gateway");
      // the calls a per-device revocation would be: none exists
      const tries = [
        ['DELETE', `/v1/workspaces/${workspaceId}/instances/${bobGateway.id}`],
        ['POST', `/v1/workspaces/${workspaceId}/instances/${bobGateway.id}/revoke`],
        ['DELETE', `/v1/workspaces/${workspaceId}/members/${bob.id}/devices/${bobGateway.id}`],
        ['GET', `/v1/workspaces/${workspaceId}/members/${bob.id}/sessions`],
      ] as const;
      for (const [method, path] of tries) {
        const res = await ctx.api.raw(method, path, { credential: owner.bearer });
        assert.equal(res.status, 404, `${method} ${path} answered ${res.status}: a per-device revocation route exists?`);
      }
      // signing out one session (the harness's own sign-in of Bob) leaves Bob's desktops working
      await ctx.api.request(routes.signOut, { credential: bob.bearer });
      assert.equal(
        (await ctx.api.raw('GET', '/v1/me', { credential: bob.bearer })).status,
        401,
        'the signed-out bearer still works',
      );
      for (const d of devices) {
        const me = await ctx.api.raw('GET', '/v1/me', { credential: d.bearer });
        assert.equal(me.status, 200, `signing out one session also revoked the bearer on ${d.host}`);
      }
      for (const desktop of bobDesktops) {
        const status = await desktop.call('status');
        assert.equal(status.state, 'connected', `${desktop.name} lost its connection when another session signed out`);
      }
    });

    const removedAt = Date.now();
    const bobMarks = bobDesktops.map((d) => d.mark());
    await ctx.step('the owner removes Bob from the workspace', async () => {
      const res = await ctx.api.raw('DELETE', `/v1/workspaces/${workspaceId}/members/${bob.id}`, { credential: owner.bearer });
      assert.equal(res.status, 204, `removing Bob answered ${res.status}`);
    });

    await ctx.step("Bob's open sockets close and both apps and gateways give up", async () => {
      const bobClosing = () =>
        ctx.events('cloud', { event: 'ws.closing', code: 4003 }, removedAt).filter((e) => e.subject === bob.id);
      await ctx.until(async () => bobClosing().length >= 4, "the cloud to close Bob's sockets");
      const closing = bobClosing();
      const channels = closing.map((e) => e.channel).sort();
      assert.deepEqual(
        channels,
        ['gateway', 'gateway', 'user', 'user'],
        `expected Bob's 2 user and 2 gateway sockets closed with 4003, saw ${channels.join(', ')}`,
      );
      for (const [i, desktop] of bobDesktops.entries()) {
        await desktop.waitForEvent({ event: 'signed-out', reason: 'revoked' }, { since: bobMarks[i]!, timeoutMs: 30_000 });
        const status = await desktop.call('status');
        assert.equal(status.signedIn, false, `${desktop.name} still reports signed in`);
        await ctx.waitForLog(`${BOB_HOSTS[i]}-gateway`, { event: 'workspace.revoked' }, { since: removedAt });
      }
    });

    await ctx.step("every token of Bob's, on both devices, is refused", async () => {
      for (const d of devices) {
        const me = await ctx.api.raw('GET', '/v1/me', { credential: d.bearer });
        assert.equal(me.status, 401, `Bob's bearer from ${d.host} still works (${me.status})`);
        const userMint = await ctx.api.raw('POST', '/v1/realtime/token', { credential: d.bearer, body: { channel: 'user' } });
        assert.equal(userMint.status, 401, `Bob's bearer from ${d.host} still mints WSS tokens`);
        const gatewayMint = await ctx.api.raw('POST', '/v1/realtime/token', {
          credential: d.workspaceToken,
          body: { channel: 'gateway' },
        });
        assert.equal(gatewayMint.status, 401, `the workspace token on ${d.host} still mints WSS tokens (${gatewayMint.status})`);
        for (const [channel, token] of [
          ['user', d.userWss],
          ['gateway', d.gatewayWss],
        ] as const) {
          const open = await ctx.tryRealtime(channel, token);
          assert.deepEqual(
            { accepted: open.accepted, status: open.status },
            { accepted: false, status: 401 },
            `a ${channel} WSS token of Bob minted before the removal still opens a socket (${d.host})`,
          );
        }
      }
    });

    await ctx.step('Carol, on the third desktop, is untouched', async () => {
      const status = await carolDesktop.call('status');
      assert.deepEqual({ state: status.state, signedIn: status.signedIn }, { state: 'connected', signedIn: true });
      const gateway = await carolDesktop.call('gatewayStatus');
      assert.equal(gateway.workspace.connected, true, "Carol's gateway lost its connection");
      assert.equal(
        (await ctx.api.raw('GET', '/v1/me', { credential: carolDevice.bearer })).status,
        200,
        "Carol's bearer stopped working",
      );
      const carolClosed = ctx.events('cloud', { event: 'ws.closing' }, since).filter((e) => e.subject === carol.id);
      assert.equal(carolClosed.length, 0, "one of Carol's sockets was closed");
      const open = await ctx.tryRealtime('user', carolDevice.userWss);
      assert.equal(open.accepted, true, "Carol's WSS token was refused");
    });
  },
});

/**
 * Reads what a device holds (the desktop profile's bearer and openclaw.json's workspace token:
 * both documented to be plaintext on the device, so not planted) and mints a WSS token from each.
 */
async function deviceTokens(ctx: ScenarioContext, host: string): Promise<DeviceTokens> {
  const home = ctx.lab.hostFiles(host).home;
  const storage = JSON.parse(await readFile(join(home, '.multiclaw-desktop', 'local-storage.json'), 'utf8')) as Record<
    string,
    string
  >;
  const bearer = storage['multiclaw.bearer'];
  assert.ok(bearer, `no bearer in the desktop profile on ${host}`);
  const config = JSON.parse(await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8')) as { workspace: { authToken: string } };
  const mint = async (credential: string, channel: ChannelKind) => {
    const r = await ctx.api.request(routes.mintRealtimeToken, { credential, body: { channel } });
    return ctx.plant(r.token, `${channel} WSS token of ${host}`);
  };
  return {
    host,
    bearer,
    workspaceToken: config.workspace.authToken,
    userWss: await mint(bearer, 'user'),
    gatewayWss: await mint(config.workspace.authToken, 'gateway'),
  };
}
