import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DesktopDriver, type DpiFault, enableDpi } from '@multiclaw-lab/core';
import type { MitmEvent } from '@multiclaw-lab/infra';
import { OPENCLAW_CONFIG_FILE } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';
import { runTask } from './synced-instances.ts';

const HOST = 's1-d1';
const API = 'https://api.multiclaw.test/healthz';
/** how Node, curl and openssl say "this certificate is not from a CA I trust" */
const CERT_ERROR = /certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT|unknown ca|issuer/i;
const MULTICLAW_NAMES = ['api.multiclaw.test', 'cdn.multiclaw.test', 'turn.multiclaw.test'];

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every SHA-256 the DPI box recorded of a credential, an authorization header or a token-shaped value. */
function credentialHashes(events: MitmEvent[]): Set<string> {
  const hashes = new Set<string>();
  for (const e of events) {
    for (const k of ['credentialSha256', 'authorizationSha256'] as const) if (typeof e[k] === 'string') hashes.add(e[k]);
    for (const t of (e.tokens as Array<{ sha256: string }> | undefined) ?? []) hashes.add(t.sha256);
  }
  return hashes;
}

/** Waits for the app's real-time channel and its gateway's cloud link to be up (after restarts or faults). */
async function waitConnected(ctx: ScenarioContext, desktop: DesktopDriver, since: number, gatewayFrom: number): Promise<void> {
  await desktop.waitForEvent({ event: 'realtime.connected' }, { since, timeoutMs: 60_000 });
  const gateway = ctx.lab.service(`${HOST}-gateway`).handle;
  await gateway.waitForLine((l) => gateway.lines.indexOf(l) >= gatewayFrom && l.json?.event === 'ws.welcome', 90_000);
}

/**
 * A DPI box on the site re-signs TLS. With its CA untrusted, the desktop's HTTPS and the
 * gateway's cloud link fail closed with a certificate error, and no credential reaches the box in
 * plaintext. With its CA in the host's trust store (and the apps restarted to read it), everything
 * works: no pinning. With the MultiClaw names excluded from inspection, everything works too.
 */
export default defineScenario({
  id: 'S10-dpi-resigning',
  title: 'DPI re-signing: untrusted CA fails closed, trusted CA works (no pinning), MultiClaw names excluded work',
  claims: ['NS-59', 'NS-60', 'NS-61', 'NS-62'],
  tags: ['tls', 'network'],
  needs: ['dpi', 'host-files', 'ca-key'],
  timeoutMs: 360_000,
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('dpi'));
    let desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
    const home = lab.hostFiles(HOST).home;
    // the desktop's bearer and the gateway's workspace token are on the host in plaintext (as documented)
    const profile = await readFile(join(home, '.multiclaw-desktop', 'local-storage.json'), 'utf8');
    const bearer = /mcb_[A-Za-z0-9_-]+/.exec(profile)?.[0];
    const gatewayToken = /mcg_[A-Za-z0-9_-]+/.exec(await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8'))?.[0];
    assert.ok(bearer && gatewayToken, 'could not read the desktop bearer and the gateway token on the host');
    const credentials = new Map([
      [sha256(bearer), 'the desktop bearer'],
      [sha256(gatewayToken), "the gateway's workspace token"],
    ]);

    // --- untrusted CA ------------------------------------------------------------------------
    const untrusted: DpiFault = await ctx.fault(enableDpi(lab, 's1', 'untrusted'));
    await ctx.step('untrusted DPI takes effect: a request from the host fails on the certificate', async () => {
      const probe = await lab.httpsProbe(HOST, API);
      assert.equal(probe.ok, false, 'a request through the DPI box succeeded with its CA untrusted');
      assert.match(probe.error ?? '', CERT_ERROR, `the probe failed, but not on the certificate: ${probe.error}`);
    });

    await ctx.check(
      ['NS-59', 'NS-61'],
      'the desktop: HTTPS fails closed with a certificate error, the WSS does not come back',
      async () => {
        // a fresh app process: connections it pooled before the DPI box arrived do not count
        await lab.restart(`${HOST}-desktop`);
        desktop = lab.desktop(HOST);
        const mark = desktop.mark();
        const refused = await desktop.call('me').then(
          () => undefined,
          (err: Error) => err,
        );
        assert.ok(refused, 'an HTTPS call of the app succeeded through the untrusted DPI box');
        assert.match(refused.message, CERT_ERROR, `the app's HTTPS call failed, but not on the certificate: ${refused.message}`);
        // The restarted app, still signed in, opens its WSS by itself: its first attempt's outcome
        // is the evidence. A `connect` command would only answer at a welcome that cannot come.
        const failed = await desktop.waitForEvent({ event: 'realtime.token_failed' }, { since: mark, timeoutMs: 30_000 });
        assert.match(
          JSON.stringify(failed.json),
          CERT_ERROR,
          `the WSS token mint failed, but not on the certificate: ${JSON.stringify(failed.json)}`,
        );
        ctx.note('desktop.realtime_failed', { attempt: failed.json?.attempt });
        assert.equal(desktop.events({ event: 'realtime.connected' }, mark).length, 0, 'the WSS connected through the DPI box');
      },
    );

    await ctx.check(
      ['NS-59', 'NS-61'],
      "the gateway's cloud link (HTTPS token, then WSS) fails closed with a certificate error",
      async () => {
        const gateway = (await lab.restart(`${HOST}-gateway`)).handle;
        const failed = await gateway.waitForLog({ event: 'token.mint_failed' }, 30_000);
        assert.match(
          JSON.stringify(failed.json),
          CERT_ERROR,
          `the gateway failed, but not on the certificate: ${JSON.stringify(failed.json)}`,
        );
        assert.equal(
          gateway.lines.some((l) => l.json?.event === 'ws.welcome'),
          false,
          'the gateway reached the cloud through the DPI box',
        );
      },
    );

    await ctx.check(['NS-61'], 'no credential reached the DPI box in plaintext', async () => {
      const events = untrusted.events();
      const refusals = events.filter(
        (e) => e.event === 'mitm.tls_failed' && e.side === 'client' && e.sni === 'api.multiclaw.test',
      );
      assert.ok(refusals.length > 0, 'the DPI box saw no refused client handshake for the cloud: was it in the path?');
      const requests = events.filter((e) => e.event === 'mitm.request' || e.event === 'mitm.ws_message');
      assert.deepEqual(requests, [], 'the DPI box read requests or WebSocket messages in plaintext');
      for (const [hash, what] of credentials)
        assert.equal(credentialHashes(events).has(hash), false, `${what} reached the DPI box in plaintext`);
      ctx.metric('client handshakes refused at the DPI box', refusals.length, 'handshakes');
    });

    // from before the heal: the app keeps retrying, and may be back before the heal returns (no
    // connection got through the untrusted box, see above, so any from here on is the heal's)
    const mark = desktop.mark();
    await ctx.heal(untrusted);
    await ctx.step('after heal the app and the gateway come back by themselves', async () => {
      assert.equal((await lab.httpsProbe(HOST, API)).ok, true, 'the link did not come back after the DPI box left');
      await desktop.call('connect');
      await waitConnected(ctx, desktop, mark, 0);
    });

    // --- CA installed in the host's trust store ------------------------------------------------
    const trusted: DpiFault = await ctx.fault(enableDpi(lab, 's1', 'trusted'));
    let restored = false;
    ctx.onCleanup(async () => {
      // the trust store is put back by the fault's heal; the apps must read it again
      if (!restored) await lab.restartSiteApps('s1');
    });
    await ctx.step('the DPI CA is in the host trust store; the apps restart to read it', async () => {
      const probe = await lab.httpsProbe(HOST, API);
      assert.equal(probe.ok, true, `the host does not trust the DPI CA: ${probe.error}`);
      await lab.restartSiteApps('s1');
    });
    await ctx.check(
      ['NS-59', 'NS-60'],
      'with the DPI CA in the OS trust store, desktop and gateway work through it',
      async () => {
        desktop = lab.desktop(HOST);
        await waitConnected(ctx, desktop, 0, 0);
        const task = await runTask(ctx, desktop, HOST, agentId, 'through the DPI box');
        assert.equal(task.state, 'completed', `a task through the trusted DPI box ended ${task.state}`);
      },
    );

    await ctx.check(['NS-60', 'NS-59'], 'the DPI box really inspected it: no pinning, the OS trust store decides', async () => {
      const events = trusted.events();
      const inspected = events.filter((e) => e.event === 'mitm.request' && e.host === 'api.multiclaw.test');
      assert.ok(inspected.length > 0, 'the DPI box read no request to the cloud: the traffic was not intercepted');
      const upgraded = events.some((e) => e.event === 'mitm.ws_message' && e.host === 'api.multiclaw.test');
      assert.ok(upgraded, 'the DPI box saw no WebSocket message: the WSS did not go through it');
      const llm = events.some((e) => e.event === 'mitm.request' && e.host === 'api.llm.test');
      assert.ok(llm, "the DPI box did not see the gateway's LLM call");
      ctx.metric('requests inspected by the trusted DPI box', inspected.length, 'requests');
    });
    await ctx.heal(trusted);
    await ctx.step('trust store restored, apps restarted: back to normal', async () => {
      await lab.restartSiteApps('s1');
      restored = true;
      desktop = lab.desktop(HOST);
      await waitConnected(ctx, desktop, 0, 0);
    });

    // --- MultiClaw names excluded from DPI ---------------------------------------------------------
    const excluded: DpiFault = await ctx.fault(enableDpi(lab, 's1', 'excluded'));
    await ctx.check(['NS-62'], 'MultiClaw names excluded from DPI: desktop and gateway connect, uninspected', async () => {
      const mark = desktop.mark();
      await desktop.call('disconnect');
      await desktop.call('connect');
      const gateway = (await lab.restart(`${HOST}-gateway`)).handle;
      await desktop.waitForEvent({ event: 'realtime.connected' }, { since: mark, timeoutMs: 60_000 });
      await gateway.waitForLog({ event: 'ws.welcome' }, 60_000);
      const me = await desktop.call('me');
      assert.equal(me.user.email, alice.email, 'the app could not call the cloud');
      const events = excluded.events();
      const touched = events.filter(
        (e) =>
          (e.event === 'mitm.tls_established' || e.event === 'mitm.tls_failed' || e.event === 'mitm.request') &&
          MULTICLAW_NAMES.includes(String(e.sni ?? e.host)),
      );
      assert.deepEqual(touched, [], 'the DPI box inspected a MultiClaw name it was told to leave alone');
      // the box is still in the path and still re-signs everything else
      const other = await lab.httpsProbe(HOST, 'https://api.llm.test/');
      assert.equal(other.ok, false, 'the DPI box let a non-MultiClaw name through unre-signed: is it in the path?');
      assert.match(other.error ?? '', CERT_ERROR, `the LLM probe failed, but not on the certificate: ${other.error}`);
    });
    // the box carried the app's connection (passed through, uninspected): taking it away drops
    // that connection, and the app must come back by itself
    const beforeHeal = desktop.mark();
    await ctx.heal(excluded);
    await ctx.step('after heal everything works as before', async () => {
      assert.equal((await lab.httpsProbe(HOST, API)).ok, true, 'the link did not come back after the DPI box left');
      // the status alone would race the drop: the app may not have read the box's close yet
      await desktop.waitForEvent({ event: 'realtime.dropped' }, { since: beforeHeal, timeoutMs: 30_000 });
      await desktop.waitForEvent({ event: 'realtime.reconnected' }, { since: beforeHeal, timeoutMs: 60_000 });
      const status = await desktop.call('status');
      assert.equal(status.state, 'connected', `the app is ${status.state} after the DPI box left`);
    });
  },
});
