import assert from 'node:assert/strict';
import { pcapContains, readPcap } from '@multiclaw-lab/infra';
import { addressOf } from '@multiclaw-lab/network';
import { defineScenario } from '../define.ts';
import { assertFramesIdentical, DAEMON_HOST, labOwner, turnEvents, view, viewMetrics } from './webrtc-support.ts';

const HOST = 's1-d1';
const SITE = 's1';
/** a loaded CI machine must not turn a slow direct path into a relayed one: the point here is that direct works */
const DIRECT_BOUND_MS = 15_000;

/**
 * No fault: the desktop app views the cloud desktop over a direct path. Signalling goes only
 * through the cloud's WSS; the selected ICE pair is direct (no relay candidate on either side),
 * coturn allocates nothing for it, frames arrive byte-identical over DTLS, and input goes back.
 */
export default defineScenario({
  id: 'S20-webrtc-direct',
  title: 'Cloud desktop viewer, direct path: DTLS DataChannel, ICE through the cloud WSS, no relay allocation',
  claims: ['NS-32', 'NS-33', 'NS-36', 'DE-33'],
  tags: ['webrtc'],
  needs: ['capture'],
  timeoutMs: 120_000,
  async run(ctx) {
    const { lab } = ctx;
    const desktop = await ctx.useDesktop(HOST, labOwner(lab));
    const daemon = `${DAEMON_HOST}-daemon`;
    const daemonAddress = addressOf(lab.topology, DAEMON_HOST);
    const wan = await ctx.capture(`${SITE}-rtr`, 'wan', `host ${daemonAddress} or udp`);
    const since = Date.now();

    const result = await ctx.check(['NS-33', 'NS-32'], 'the app views the cloud desktop in mode auto', () =>
      view(lab, desktop, 'auto', { frames: 45, directTimeoutMs: DIRECT_BOUND_MS, timeoutMs: 25_000 }),
    );
    ctx.note('webrtc.view', { ...result, sha256: `${result.sha256.length} hashes` });
    viewMetrics(ctx, 'direct', result);
    const file = await wan.stopAndAttach('site WAN during a direct viewing session');

    await ctx.check(['NS-33'], 'the selected ICE pair is direct: no relay candidate on either side', async () => {
      assert.equal(result.attempt, 'direct', `the viewer connected on its ${result.attempt} attempt`);
      assert.deepEqual(result.failedAttempts, [], 'the direct attempt failed first');
      assert.ok(result.pair, 'the viewer reported no selected candidate pair');
      assert.notEqual(result.pair.local, 'relay', `local candidate: ${result.pair.localCandidate}`);
      assert.notEqual(result.pair.remote, 'relay', `remote candidate: ${result.pair.remoteCandidate}`);
      assert.match(result.pair.remoteCandidate, new RegExp(` ${daemonAddress.replaceAll('.', '\\.')} `));
    });

    await ctx.check(['NS-33'], 'coturn made no allocation during the session (STUN at most)', async () => {
      const allocations = turnEvents(lab, since).filter((e) => e.event === 'turn.allocation');
      assert.deepEqual(allocations, [], 'coturn allocated a relay for a session that had a direct path');
    });

    await ctx.check(['NS-32'], 'every frame arrived byte-identical; the desktop applied the input event', async () => {
      assertFramesIdentical(lab, result);
      await ctx.waitForLog(daemon, { event: 'rtc.input', sessionId: result.sessionId }, { since, timeoutMs: 10_000 });
    });

    await ctx.check(['NS-36'], 'signalling went only through the cloud WSS: the cloud relayed this session', async () => {
      const opened = await ctx.waitForLog('cloud', { event: 'rtc.session_opened', sessionId: result.sessionId }, { since });
      assert.equal(opened.json?.viewerUserId, lab.accounts[0]!.userId, 'the cloud relayed it for another user');
      assert.equal(ctx.events('cloud', { event: 'rtc.session_opened', sessionId: result.sessionId }, since).length, 1);
      const offered = ctx.events(`${HOST}-desktop`, { event: 'webrtc.offer', sessionId: result.sessionId }, since);
      assert.equal(offered.length, 1, 'the app did not log its offer');
    });

    await ctx.step('the session over, the app holds no UDP socket any more (it opens none for inbound use)', async () => {
      const pid = await lab.driver.pidInHost(lab.service(`${HOST}-desktop`).handle.child);
      const ss = await lab.driver.exec(HOST, 'ss', ['-H', '-uanp'], { timeoutMs: 20_000 });
      assert.equal(ss.code, 0, `ss failed: ${ss.stderr}`);
      const mine = ss.stdout.split('\n').filter((l) => l.includes(`pid=${pid},`));
      assert.deepEqual(mine, [], 'the desktop app still has UDP sockets after the viewing session closed');
    });

    await ctx.check(['DE-33', 'NS-32'], 'on the wire: DTLS between the site and the desktop, no frame in plaintext', async () => {
      const direct = await readPcap(file, { filter: `udp && ip.addr == ${daemonAddress}` });
      const bytes = direct.reduce((n, p) => n + p.length, 0);
      assert.ok(
        bytes >= result.bytes,
        `the capture holds ${bytes} bytes to/from the desktop, fewer than the ${result.bytes} frame bytes`,
      );
      const dtls = await readPcap(file, { filter: `dtls && ip.addr == ${daemonAddress}` });
      assert.ok(dtls.length > 0, 'tshark found no DTLS record between the site and the cloud desktop');
      assert.equal(await pcapContains(file, lab.screenCanary), false, 'the frames crossed the site WAN in plaintext');
      ctx.metric('direct: UDP bytes between site and desktop', bytes, 'bytes');
    });
  },
});
