import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesktopDriver } from '@multiclaw-lab/core';
import { type ChannelKind, OPENCLAW_CONFIG_FILE, routes } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';
import { type OpenApiDocumentLike, perDeviceRevocations, revokingOperations } from './revocation-surface.ts';

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
 * checks that nothing revokes just one device: the cloud's documented API has no such call, and
 * signing out one session leaves the others working.
 */
export default defineScenario({
  id: 'S05-user-removed',
  title: "User removed by an owner: the user's tokens die on every device; others untouched; no per-device revocation",
  claims: ['CS-05', 'CS-23', 'CS-24', 'CS-36', 'CS-38', 'CS-39', 'CS-40', 'CS-41', 'CS-18'],
  tags: ['tokens'],
  needs: ['host-files'],
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

    await ctx.check(
      ['CS-24', 'CS-40', 'CS-38'],
      "the cloud's documented API has no per-device revocation: every revoking call names a user, not a device",
      async () => {
        // The cloud describes its own API (GET /v1/openapi.json, no credential): the claim is judged
        // from that surface rather than from guessed URLs a per-device route might have had. The
        // behaviour of the calls it does offer (a removal reaches every device) is checked below.
        const res = await ctx.api.raw('GET', '/v1/openapi.json');
        assert.equal(res.status, 200, `GET /v1/openapi.json answered ${res.status}`);
        const doc = res.body as OpenApiDocumentLike;
        const revoking = revokingOperations(doc);
        assert.ok(
          revoking.some((o) => o.method === 'DELETE' && o.path.endsWith('/members/{uid}')),
          'the API documents no removal of a member',
        );
        const perDevice = perDeviceRevocations(doc);
        assert.deepEqual(
          perDevice.map((o) => `${o.method} ${o.path}: ${o.summary}`),
          [],
          'the API documents a per-device revocation',
        );
      },
    );

    await ctx.check(['CS-38'], "signing out revokes that session's bearer only: Bob's devices keep working", async () => {
      // the harness's own sign-in of Bob is one more session; signing it out is done on "that device"
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
    const gatewayMarks = BOB_HOSTS.map((h) => ctx.lab.service(`${h}-gateway`).handle.lines.length);
    await ctx.check(['CS-23'], 'an owner removes Bob from the workspace', async () => {
      const res = await ctx.api.raw('DELETE', `/v1/workspaces/${workspaceId}/members/${bob.id}`, { credential: owner.bearer });
      assert.equal(res.status, 204, `removing Bob answered ${res.status}`);
    });

    await ctx.check(
      ['CS-41', 'CS-39'],
      "Bob's open sockets are closed on both devices: each app and gateway sees the cloud close it (4003) and gives up",
      async () => {
        // judged at the clients, the other end of the sockets: the cloud's word that it closed them is not enough
        for (const [i, desktop] of bobDesktops.entries()) {
          const host = BOB_HOSTS[i]!;
          const dropped = await desktop.waitForEvent({ event: 'realtime.dropped' }, { since: bobMarks[i]!, timeoutMs: 30_000 });
          assert.equal(dropped.json?.code, 4003, `${host}: the app's socket closed with ${dropped.json?.code}, not 4003`);
          await desktop.waitForEvent({ event: 'signed-out', reason: 'revoked' }, { since: bobMarks[i]!, timeoutMs: 30_000 });
          const status = await desktop.call('status');
          assert.equal(status.signedIn, false, `${desktop.name} still reports signed in`);
          const gateway = ctx.lab.service(`${host}-gateway`).handle;
          const closed = await gateway.waitForLine(
            (l) => l.json?.event === 'ws.closed' && gateway.lines.indexOf(l) >= gatewayMarks[i]!,
            30_000,
          );
          assert.equal(closed.json?.code, 4003, `${host}: the gateway's socket closed with ${closed.json?.code}, not 4003`);
          await ctx.waitForLog(`${host}-gateway`, { event: 'workspace.revoked' }, { since: removedAt });
        }
      },
    );

    await ctx.check(['CS-41', 'CS-39', 'CS-23'], "Bob's bearers, on both devices, are refused", async () => {
      for (const d of devices) {
        const me = await ctx.api.raw('GET', '/v1/me', { credential: d.bearer });
        assert.equal(me.status, 401, `Bob's bearer from ${d.host} still works (${me.status})`);
        const userMint = await ctx.api.raw('POST', '/v1/realtime/token', { credential: d.bearer, body: { channel: 'user' } });
        assert.equal(userMint.status, 401, `Bob's bearer from ${d.host} still mints WSS tokens`);
      }
    });

    await ctx.check(
      ['CS-36', 'CS-05', 'CS-18', 'CS-41', 'CS-39', 'CS-23'],
      "the gateway workspace tokens on both of Bob's devices are revoked",
      async () => {
        for (const d of devices) {
          const gatewayMint = await ctx.api.raw('POST', '/v1/realtime/token', {
            credential: d.workspaceToken,
            body: { channel: 'gateway' },
          });
          assert.equal(
            gatewayMint.status,
            401,
            `the workspace token on ${d.host} still mints WSS tokens (${gatewayMint.status})`,
          );
        }
      },
    );

    await ctx.check(['CS-41'], "Bob's WSS tokens minted before the removal no longer open a socket", async () => {
      for (const d of devices) {
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

    await ctx.check(['CS-41'], "Carol, on the third desktop, is untouched: only the removed user's tokens die", async () => {
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
