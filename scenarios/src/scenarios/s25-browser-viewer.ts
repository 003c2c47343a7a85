import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type BrowserViewer, type BrowserViewMode, labBrowserHost, openBrowserViewer } from '@multiclaw-lab/core';
import { pcapContains, readPcap } from '@multiclaw-lab/infra';
import { addressOf, PROBE_PORTS, PUBLIC_NAMES } from '@multiclaw-lab/network';
import { routes } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';
import { blockSiteUdp, DAEMON_HOST } from './webrtc-support.ts';

const HOST = 's1-d1';
const SITE = 's1';
const FRAMES = 30;
/** the harness's probe range: the egress audit tells these from the product */
const PROBE_PORT = PROBE_PORTS.max - 2;

/**
 * The closest thing to the product's WebView client: a page served inside a site's desktop host,
 * opened by real headless Chromium there, signs in with the owner's bearer, signals through the
 * cloud's WSS, fetches TURN credentials from the cloud and views the cloud desktop — in mode
 * `auto` (direct, STUN only) and, with UDP blocked at the site, in mode `turn-relay` (TURN/TLS on
 * 443). Each time the canvas is screenshotted and checked to show the desktop's frame.
 */
export default defineScenario({
  id: 'S25-browser-viewer',
  title: 'A real browser views the cloud desktop: auto (direct) and, with UDP blocked, TURN relay over TLS 443',
  claims: ['NS-07', 'NS-32', 'NS-33', 'NS-36', 'NS-55', 'NS-56'],
  tags: ['webrtc'],
  needs: ['udp-block', 'capture', 'browser'],
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab, api } = ctx;
    const owner = lab.accounts[0];
    assert.ok(owner, 'the lab has no demo accounts');
    const daemonAddress = addressOf(lab.topology, DAEMON_HOST);
    const relayAddress = addressOf(lab.topology, 'relay');
    const wanAddress = lab.topology.sites.find((s) => s.id === SITE)!.wanAddress;
    const hostAddress = addressOf(lab.topology, HOST);

    const instanceId = await ctx.step(`the owner finds the cloud desktop ${DAEMON_HOST} through the cloud API`, async () => {
      const { instances } = await api.request(routes.listInstances, {
        credential: owner.bearer,
        params: { wid: lab.workspaceId },
      });
      const mine = instances.find((i) => i.name === DAEMON_HOST);
      assert.ok(mine, `no instance named ${DAEMON_HOST} in the lab workspace`);
      assert.equal(mine.connected, true, `the cloud desktop ${DAEMON_HOST} is not connected to the cloud`);
      return mine.id;
    });

    /** Opens the browser viewer, records what it saw, and checks the cloud and the desktop saw the same session. */
    const viewIn = async (mode: BrowserViewMode, since: number): Promise<BrowserViewer> => {
      const viewer = await ctx.check(
        mode === 'auto' ? ['NS-33'] : ['NS-55', 'NS-07'],
        `Chromium on ${HOST} views the cloud desktop in mode ${mode} (${FRAMES} frames)`,
        () =>
          openBrowserViewer({
            host: labBrowserHost(lab, HOST),
            cloudUrl: `https://${PUBLIC_NAMES.api}`,
            bearer: owner.bearer,
            instanceId,
            mode,
            caPem: lab.ca.certPem,
            dir: join(lab.logsDir, `${ctx.id}-browser-${mode}`),
            frames: FRAMES,
            timeoutMs: 45_000,
            // a loaded machine must not turn a slow direct path into a relayed one
            ...(mode === 'auto' ? { directTimeoutMs: 15_000 } : {}),
          }),
      );
      ctx.onCleanup(() => viewer.close());
      const { close: _c, [Symbol.asyncDispose]: _d, ...seen } = viewer;
      ctx.note('browser.view', { mode, ...seen });
      metrics(ctx, mode, viewer);
      await ctx.attach(`canvas screenshot, mode ${mode}`, viewer.screenshotPath, 'png');

      await ctx.check(
        ['NS-32'],
        `${mode}: the screenshot shows the desktop's frame, and the page sent an input event the desktop applied`,
        async () => {
          assert.ok(viewer.frames >= FRAMES, `${viewer.frames} frames`);
          assert.ok(viewer.screenshot.frameShare >= 0.9, `only ${viewer.screenshot.frameShare} of the canvas shows the frame`);
          assert.equal(viewer.inputSent, true, 'the page sent no input event');
          await ctx.waitForLog(
            `${DAEMON_HOST}-daemon`,
            { event: 'rtc.input', sessionId: viewer.sessionId },
            { since, timeoutMs: 10_000 },
          );
        },
      );
      await ctx.check(['NS-36'], `${mode}: signalling went through the cloud WSS, for the owner, to the desktop`, async () => {
        const opened = ctx.events('cloud', { event: 'rtc.session_opened', sessionId: viewer.sessionId }, since);
        assert.equal(opened.length, 1, 'the cloud did not relay the offer of this session');
        assert.equal(opened[0]!.viewerUserId, owner.userId, 'the cloud relayed it for another user');
        assert.equal(opened[0]!.instanceId, instanceId);
        const connected = ctx.events(
          `${DAEMON_HOST}-daemon`,
          { event: 'rtc.session.connected', sessionId: viewer.sessionId },
          since,
        );
        assert.equal(connected.length, 1, 'the cloud desktop did not log this session as connected');
      });
      return viewer;
    };

    // --- auto, no fault: direct -----------------------------------------------------------------
    let since = Date.now();
    let wan = await ctx.capture(`${SITE}-rtr`, 'wan', `host ${wanAddress}`);
    const auto = await viewIn('auto', since);
    await auto.close();
    let file = await wan.stopAndAttach('site WAN while the browser viewed in mode auto');
    await ctx.attach('browser console, mode auto', auto.consoleLogPath, 'text');

    await ctx.check(['NS-33'], 'auto: the browser selected a direct pair (STUN only, no relay candidate)', async () => {
      assert.equal(auto.attempt, 'direct', `the page connected on its ${auto.attempt} attempt`);
      assert.deepEqual(auto.failedAttempts, []);
      assert.ok(auto.pair, 'the page reported no selected candidate pair');
      assert.notEqual(auto.pair.local, 'relay');
      assert.notEqual(auto.pair.remote, 'relay');
      assert.equal(auto.pair.remoteAddress, daemonAddress, 'the remote side is not the cloud desktop itself');
    });
    await ctx.check(
      ['NS-32'],
      'auto on the wire: DTLS between the site and the desktop, no frame content in plaintext',
      async () => {
        const dtls = await readPcap(file, { filter: `dtls && ip.addr == ${daemonAddress}` });
        assert.ok(dtls.length > 0, 'tshark found no DTLS record between the site and the cloud desktop');
        assert.equal(await pcapContains(file, lab.screenCanary), false, 'frame content crossed the site WAN in plaintext');
      },
    );

    // --- turn-relay, UDP blocked at the site -----------------------------------------------------
    const { fault: blocked, udpToRelay } = await blockSiteUdp(ctx, HOST, SITE, PROBE_PORT);

    since = Date.now();
    wan = await ctx.capture(`${SITE}-rtr`, 'wan', `host ${wanAddress}`);
    // the router drops UDP on its way out: only its LAN side sees what the browser tried to send
    const lan = await ctx.capture(`${SITE}-rtr`, 'lan', `udp and src host ${hostAddress}`);
    const relay = await viewIn('turn-relay', since);
    await relay.close();
    file = await wan.stopAndAttach('site WAN while the browser viewed in mode turn-relay, UDP blocked');
    const lanFile = await lan.stopAndAttach("site LAN: the browser host's UDP while it viewed in mode turn-relay");
    await ctx.attach('browser console, mode turn-relay', relay.consoleLogPath, 'text');

    await ctx.check(['NS-56'], 'turn-relay: the browser selected a relay candidate reached over TLS', async () => {
      assert.equal(relay.pair?.local, 'relay', JSON.stringify(relay.pair));
      assert.equal(relay.pair?.relayProtocol, 'tls', JSON.stringify(relay.pair));
    });
    await ctx.check(
      ['NS-56'],
      'turn-relay on the wire: TLS to the relay on 443 only, no UDP, no frame content in plaintext',
      async () => {
        const udp = await readPcap(lanFile, { filter: 'udp' });
        assert.deepEqual(
          udp.map((p) => `${p.src}:${p.srcPort} > ${p.dst}:${p.dstPort}`),
          [],
          'the browser sent UDP in TURN relay mode (the router dropped it, but the browser tried)',
        );
        const toRelay = await readPcap(file, { filter: `tcp && ip.addr == ${relayAddress}` });
        const ports = new Set(toRelay.map((p) => (p.src === wanAddress ? p.dstPort : p.srcPort)));
        assert.deepEqual([...ports], [443], `TCP to the relay on ports ${[...ports].join(', ')}`);
        const tls = await readPcap(file, { filter: `tls && ip.addr == ${relayAddress}` });
        assert.ok(tls.length > 0, 'tshark found no TLS record on the connection to the relay');
        assert.equal(await pcapContains(file, lab.screenCanary), false, 'frame content crossed the site WAN in plaintext');
      },
    );
    await ctx.heal(blocked);
    await ctx.step('after heal, UDP leaves the site again', async () => {
      assert.equal(await udpToRelay(), true, 'UDP is still blocked after heal');
    });
  },
});

function metrics(ctx: ScenarioContext, mode: BrowserViewMode, viewer: BrowserViewer): void {
  ctx.metric(`browser ${mode}: connect time (first offer to open DataChannel)`, viewer.connectMs, 'ms');
  ctx.metric(`browser ${mode}: frames per second drawn`, Math.round(viewer.framesPerSecond * 10) / 10, 'frames/s');
  ctx.metric(`browser ${mode}: throughput`, Math.round(((viewer.bytesPerSecond * 8) / 1e6) * 100) / 100, 'Mbit/s');
  const sent = ctx.lab.screen.framesPerSecond;
  const loss = Math.max(0, Math.round((1 - viewer.framesPerSecond / sent) * 1000) / 10);
  ctx.metric(`browser ${mode}: loss against the desktop's ${sent} frames/s`, loss, '%');
}
