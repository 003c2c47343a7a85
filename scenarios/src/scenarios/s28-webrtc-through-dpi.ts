import assert from 'node:assert/strict';
import { type DesktopDriver, type DpiFault, enableDpi } from '@multiclaw-lab/core';
import { addressOf, PUBLIC_NAMES } from '@multiclaw-lab/network';
import { routes } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';
import { assertFramesIdentical, labOwner, turnProbe, view } from './webrtc-support.ts';

const HOST = 's1-d1';
const SITE = 's1';
const API = `https://${PUBLIC_NAMES.api}/healthz`;
/** how Node and OpenSSL say "this certificate is not from a CA I trust" */
const CERT_ERROR = /certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT|unknown ca|issuer/i;
const MULTICLAW_NAMES: string[] = [PUBLIC_NAMES.api, PUBLIC_NAMES.cdn, PUBLIC_NAMES.turn];

/** Waits until the app's real-time channel is up again (after a restart, a fault or its heal). */
async function waitConnected(desktop: DesktopDriver, since: number): Promise<void> {
  if ((await desktop.call('status')).state === 'connected') return;
  await desktop.waitForEvent({ event: 'realtime.connected' }, { since, timeoutMs: 60_000 });
}

/** Views the cloud desktop over the relay (TURN/TLS on 443), or says why it could not. */
async function tryView(ctx: ScenarioContext, desktop: DesktopDriver) {
  return view(ctx.lab, desktop, 'turn-relay', { frames: 20, timeoutMs: 20_000 }).then(
    (result) => ({ result, error: undefined }),
    (error: Error) => ({ result: undefined, error }),
  );
}

/**
 * The cloud desktop viewer behind a DPI box that re-signs TLS. Its signalling (the cloud's HTTPS
 * and WSS) and its relay leg (TURN over TLS on 443) are TLS the box intercepts: with the box's CA
 * untrusted, viewing fails closed on the certificate and the box reads nothing. With the MultiClaw
 * names excluded from inspection, as the pages advise, the viewer connects through the box and
 * every frame arrives intact.
 */
export default defineScenario({
  id: 'S28-webrtc-through-dpi',
  title: 'Cloud desktop viewer behind DPI: untrusted re-signing fails closed, MultiClaw names excluded work',
  claims: ['NS-61', 'NS-62'],
  tags: ['webrtc', 'tls'],
  needs: ['dpi', 'ca-key'],
  timeoutMs: 300_000,
  async run(ctx) {
    const { lab } = ctx;
    const relayAddress = addressOf(lab.topology, 'relay');
    const owner = labOwner(lab);
    let desktop = await ctx.useDesktop(HOST, owner);
    /** a TURN/TLS allocation on 443 from the site, with fresh credentials the harness got from the cloud */
    const turnOverTls = async () => {
      const { username, credential } = await ctx.api.request(routes.getTurnCredentials, { credential: owner.bearer });
      return turnProbe(lab, HOST, {
        host: relayAddress,
        port: 443,
        transport: 'tls',
        servername: PUBLIC_NAMES.turn,
        ca: lab.ca.certPem,
        username,
        credential,
      });
    };

    await ctx.step('without DPI the app views the cloud desktop through the relay on 443', async () => {
      const { result, error } = await tryView(ctx, desktop);
      assert.ok(result, `viewing fails even without the DPI box: ${error?.message}`);
    });

    // --- untrusted CA: fails closed -------------------------------------------------------------
    const untrusted: DpiFault = await ctx.fault(enableDpi(lab, SITE, 'untrusted'));
    await ctx.step('untrusted DPI takes effect: a request from the host fails on the certificate', async () => {
      const probe = await lab.httpsProbe(HOST, API);
      assert.equal(probe.ok, false, 'a request through the DPI box succeeded with its CA untrusted');
      assert.match(probe.error ?? '', CERT_ERROR, `the probe failed, but not on the certificate: ${probe.error}`);
    });
    const mark = await ctx.step('a fresh app process (connections pooled before the box do not count)', async () => {
      await lab.restart(`${HOST}-desktop`);
      desktop = lab.desktop(HOST);
      return desktop.mark();
    });

    await ctx.check(['NS-61'], 'through the untrusted DPI box, viewing fails closed on the certificate', async () => {
      const { result, error } = await tryView(ctx, desktop);
      assert.equal(result, undefined, 'the app viewed the cloud desktop through the untrusted DPI box');
      assert.match(error!.message, CERT_ERROR, `viewing failed, but not on the certificate: ${error!.message}`);
      // the signalling channel: the app's WSS never comes up through the box
      const failed = await desktop.waitForEvent({ event: 'realtime.token_failed' }, { since: mark, timeoutMs: 30_000 });
      assert.match(
        JSON.stringify(failed.json),
        CERT_ERROR,
        `the WSS failed, but not on the certificate: ${JSON.stringify(failed.json)}`,
      );
      assert.equal(desktop.events({ event: 'realtime.connected' }, mark).length, 0, 'the WSS connected through the DPI box');
    });

    await ctx.check(
      ['NS-61'],
      'the relay leg too: TURN over TLS on 443 is refused on the certificate, valid credentials or not',
      async () => {
        const r = await turnOverTls();
        assert.equal(r.ok, false, 'a TURN/TLS allocation succeeded through the untrusted DPI box');
        assert.ok('error' in r && CERT_ERROR.test(r.error), `TURN/TLS failed, but not on the certificate: ${JSON.stringify(r)}`);
      },
    );

    await ctx.check(['NS-61'], 'the DPI box was in the path yet read nothing: no request, no WebSocket message', async () => {
      const events = untrusted.events();
      const refused = new Set(
        events.filter((e) => e.event === 'mitm.tls_failed' && e.side === 'client').map((e) => String(e.sni)),
      );
      assert.ok(refused.has(PUBLIC_NAMES.api), `the DPI box saw no refused handshake for the cloud: ${[...refused].join(', ')}`);
      assert.ok(refused.has(PUBLIC_NAMES.turn), `the DPI box saw no refused handshake for the relay: ${[...refused].join(', ')}`);
      const read = events.filter((e) => e.event === 'mitm.request' || e.event === 'mitm.ws_message');
      assert.deepEqual(read, [], 'the DPI box read requests or WebSocket messages in plaintext');
    });

    const beforeHeal = desktop.mark();
    await ctx.heal(untrusted);
    await ctx.step('after heal the app comes back by itself', async () => {
      assert.equal((await lab.httpsProbe(HOST, API)).ok, true, 'the link did not come back after the DPI box left');
      await waitConnected(desktop, beforeHeal);
    });

    // --- MultiClaw names excluded: works ---------------------------------------------------------
    const excluded: DpiFault = await ctx.fault(enableDpi(lab, SITE, 'excluded'));
    await ctx.step('the DPI box is in the path and still re-signs other names; the app reconnects through it', async () => {
      const other = await lab.httpsProbe(HOST, 'https://api.llm.test/');
      assert.equal(other.ok, false, 'the DPI box let a non-MultiClaw name through unre-signed: is it in the path?');
      assert.match(other.error ?? '', CERT_ERROR, `the LLM probe failed, but not on the certificate: ${other.error}`);
      const again = desktop.mark();
      await desktop.call('disconnect');
      await desktop.call('connect');
      await waitConnected(desktop, again);
    });
    const from = excluded.events().length;

    const result = await ctx.check(
      ['NS-62'],
      'with the MultiClaw names excluded from DPI, the app views the cloud desktop through the box',
      async () => {
        const { result, error } = await tryView(ctx, desktop);
        assert.ok(result, `viewing failed with the MultiClaw names excluded from DPI: ${error?.message}`);
        assert.equal(result.pair?.local, 'relay', `local candidate: ${result.pair?.localCandidate}`);
        assert.equal(result.pair?.relayTransport, 'tls');
        assertFramesIdentical(lab, result);
        return result;
      },
    );
    ctx.note('webrtc.view', { ...result, sha256: `${result.sha256.length} hashes` });

    await ctx.check(['NS-62'], 'the box carried the viewing uninspected: no MultiClaw name was intercepted', async () => {
      const events = excluded.events().slice(from);
      const carried = events.filter((e) => e.event === 'mitm.client_connected');
      assert.ok(carried.length > 0, 'no connection went through the DPI box while viewing: was it in the path?');
      const touched = events.filter(
        (e) =>
          (e.event === 'mitm.tls_established' || e.event === 'mitm.tls_failed' || e.event === 'mitm.request') &&
          MULTICLAW_NAMES.includes(String(e.sni ?? e.host)),
      );
      assert.deepEqual(touched, [], 'the DPI box inspected a MultiClaw name it was told to leave alone');
      const turn = await turnOverTls();
      assert.ok(turn.ok, `TURN over TLS on 443 fails through the box with the names excluded: ${JSON.stringify(turn)}`);
    });

    const beforeLastHeal = desktop.mark();
    await ctx.heal(excluded);
    await ctx.step('after heal the app is connected as before', async () => {
      await waitConnected(desktop, beforeLastHeal);
    });
  },
});
