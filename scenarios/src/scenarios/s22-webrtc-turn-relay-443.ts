import assert from 'node:assert/strict';
import { DesktopCommandError } from '@multiclaw-lab/core';
import { readPcap } from '@multiclaw-lab/infra';
import { addressOf, PROBE_PORTS } from '@multiclaw-lab/network';
import { defineScenario } from '../define.ts';
import { assertFramesIdentical, blockSiteUdp, labOwner, turnEvents, turnSubject, view, viewMetrics } from './webrtc-support.ts';

const HOST = 's1-d1';
const SITE = 's1';
const PROBE_PORT = PROBE_PORTS.max - 1;

/**
 * Every UDP packet of the viewer's site is dropped. Mode auto cannot connect and says so within
 * its bound, pointing at the TURN relay mode; with mode `turn-relay` the app connects through
 * coturn over TLS on 443, every frame arrives byte-identical, coturn logs the TLS session on
 * 443, the site's WAN carries the viewing only as TCP to the relay's 443, and the app sends no
 * UDP at all: seen on the router's LAN side, before the router's UDP block could hide it.
 */
export default defineScenario({
  id: 'S22-webrtc-turn-relay-443',
  title: 'Cloud desktop viewer with UDP blocked: mode "TURN relay" carries everything over TLS on 443',
  claims: ['NS-07', 'NS-34', 'NS-55', 'NS-56'],
  tags: ['webrtc'],
  needs: ['udp-block', 'capture'],
  timeoutMs: 150_000,
  async run(ctx) {
    const { lab } = ctx;
    const desktop = await ctx.useDesktop(HOST, labOwner(lab));
    const relayAddress = addressOf(lab.topology, 'relay');
    const wanAddress = lab.topology.sites.find((s) => s.id === SITE)!.wanAddress;
    const hostAddress = addressOf(lab.topology, HOST);
    const { fault: blocked, udpToRelay } = await blockSiteUdp(ctx, HOST, SITE, PROBE_PORT);

    await ctx.check(['NS-55'], 'mode auto cannot connect and fails within its bound, naming the TURN relay mode', async () => {
      const failed = await view(lab, desktop, 'auto', { frames: 1, timeoutMs: 10_000, directTimeoutMs: 4_000 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(failed instanceof DesktopCommandError, `mode auto did not fail as it should: ${String(failed)}`);
      assert.equal(failed.remoteCode, 'webrtc_timeout', failed.message);
      assert.match(failed.message, /TURN relay/, 'the error does not point at the TURN relay mode');
      const logged = ctx.events(`${HOST}-desktop`, { event: 'webrtc.failed' }).at(-1);
      ctx.note('webrtc.auto_failed', { code: failed.remoteCode, message: failed.message, logged: logged ?? null });
    });

    const wan = await ctx.capture(`${SITE}-rtr`, 'wan', `host ${wanAddress}`);
    // the router drops UDP on its way out: only its LAN side sees what the app tried to send
    const lan = await ctx.capture(`${SITE}-rtr`, 'lan', `udp and src host ${hostAddress}`);
    const since = Date.now();
    const result = await ctx.check(['NS-55', 'NS-56'], 'with UDP blocked, mode turn-relay connects', () =>
      view(lab, desktop, 'turn-relay', { frames: 90, timeoutMs: 25_000 }),
    );
    ctx.note('webrtc.view', { ...result, sha256: `${result.sha256.length} hashes` });
    viewMetrics(ctx, 'relay over TURN/TLS 443', result);
    const file = await wan.stopAndAttach('site WAN while viewing in TURN relay mode with UDP blocked');
    const lanFile = await lan.stopAndAttach("site LAN: the viewer host's UDP while viewing in TURN relay mode");

    await ctx.check(['NS-56'], 'the selected pair is a relay candidate reached over TLS', async () => {
      assert.equal(result.pair?.local, 'relay', `local candidate: ${result.pair?.localCandidate}`);
      assert.equal(result.pair?.relayTransport, 'tls');
    });

    await ctx.check(['NS-07', 'NS-34'], 'every frame arrived byte-identical (90 frames)', async () => {
      assert.equal(result.sha256.length, 90);
      assertFramesIdentical(lab, result);
    });

    await ctx.check(['NS-56', 'NS-34'], "coturn's log shows the viewer's TLS session and its allocation on 443", async () => {
      const subject = labOwner(lab).id;
      const events = turnEvents(lab, since);
      const tlsSessions = events.filter((e) => e.event === 'turn.session' && e.tls && turnSubject(e.user) === subject);
      assert.ok(tlsSessions.length > 0, `coturn logged no TLS session for the viewer: ${JSON.stringify(events.slice(0, 10))}`);
      const allocation = events.find(
        (e) => e.event === 'turn.allocation' && e.transport === 'tls' && turnSubject(e.user) === subject,
      );
      assert.ok(allocation, 'coturn logged no allocation on a TLS session for the viewer');
      // coturn names the listening address only when a session ends: wait for this one to close
      const lines = lab.service('coturn').handle;
      const closed = await lines.waitForLine(
        (l) =>
          l.receivedAt >= since &&
          l.text.includes(`session ${allocation.session}: closed (2nd stage)`) &&
          l.text.includes(`local ${relayAddress}:443`),
        30_000,
      );
      ctx.note('coturn.session_closed', { line: closed.text });
    });

    await ctx.check(['NS-56'], 'the app sent not one UDP packet: the viewing was TCP to the relay on 443 only', async () => {
      const udp = await readPcap(lanFile, { filter: 'udp' });
      assert.deepEqual(
        udp.map((p) => `${p.src}:${p.srcPort} > ${p.dst}:${p.dstPort}`),
        [],
        'the viewer host sent UDP in TURN relay mode (the router dropped it, but the app tried)',
      );
      const toRelay = await readPcap(file, { filter: `tcp && ip.addr == ${relayAddress}` });
      const ports = new Set(toRelay.map((p) => (p.src === wanAddress ? p.dstPort : p.srcPort)));
      assert.deepEqual([...ports], [443], `TCP to the relay on ports ${[...ports].join(', ')}`);
      const bytes = toRelay.reduce((n, p) => n + p.length, 0);
      assert.ok(bytes >= result.bytes, `only ${bytes} bytes to/from the relay for ${result.bytes} frame bytes`);
      const tls = await readPcap(file, { filter: `tls && ip.addr == ${relayAddress}` });
      assert.ok(tls.length > 0, 'tshark found no TLS record on the connection to the relay');
      ctx.metric('TURN/TLS: bytes on the site WAN to/from the relay', bytes, 'bytes');
    });

    await ctx.heal(blocked);
    await ctx.check(['NS-07'], 'after heal, UDP leaves the site again and mode auto connects', async () => {
      assert.equal(await udpToRelay(), true, 'UDP is still blocked after heal');
      const again = await view(lab, desktop, 'auto', { frames: 5 });
      assert.ok(again.frames >= 5);
    });
  },
});
