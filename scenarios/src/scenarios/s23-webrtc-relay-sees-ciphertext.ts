import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pcapContains, readPcap } from '@multiclaw-lab/infra';
import { addressOf } from '@multiclaw-lab/network';
import { defineScenario } from '../define.ts';
import { assertFramesIdentical, DAEMON_HOST, labOwner, type ViewResult, view } from './webrtc-support.ts';

const HOST = 's1-d1';
const SITE = 's1';

/**
 * The relay forwards what it cannot read. Every synthetic frame carries the lab's canary marker
 * in clear inside the JPEG; a capture on the relay host during relayed sessions (viewer leg over
 * TLS, then over UDP) holds the whole stream, yet never the marker. A control datagram with a
 * second marker, sent in plaintext through the same interface, IS found — so the search works.
 */
export default defineScenario({
  id: 'S23-webrtc-relay-sees-ciphertext',
  title: 'The TURN relay carries only ciphertext: the frame canary never appears in a capture at the relay',
  claims: ['NS-35', 'NS-32', 'DE-33'],
  tags: ['webrtc'],
  needs: ['firewall', 'capture'],
  timeoutMs: 150_000,
  async run(ctx) {
    const { lab } = ctx;
    const desktop = await ctx.useDesktop(HOST, labOwner(lab));
    const daemonAddress = addressOf(lab.topology, DAEMON_HOST);
    const relayAddress = addressOf(lab.topology, 'relay');
    const control = `MCLAB-CONTROL-${randomBytes(8).toString('hex')}`;

    const capture = await ctx.capture('relay', 'eth0', 'tcp or udp');
    const sessions: Array<{ leg: string; result: ViewResult }> = [];

    await ctx.step('a relayed session with the viewer on TURN/TLS', async () => {
      const result = await view(lab, desktop, 'turn-relay', { frames: 60 });
      assert.equal(result.pair?.local, 'relay');
      sessions.push({ leg: 'tls', result });
    });

    const firewall = await ctx.fault(lab.driver.blockUdpWithPeer({ site: SITE }, daemonAddress));
    await ctx.step('a relayed session with the viewer on TURN/UDP (direct path blocked)', async () => {
      const result = await view(lab, desktop, 'auto', { frames: 60, timeoutMs: 25_000 });
      assert.equal(result.pair?.local, 'relay', 'the firewall did not force the relay');
      assert.equal(result.pair?.relayTransport, 'udp');
      sessions.push({ leg: 'udp', result });
    });
    await ctx.heal(firewall);

    await ctx.step('a plaintext control datagram crosses the same interface', async () => {
      const send = `const s=require('node:dgram').createSocket('udp4');s.send(${JSON.stringify(control)},9,${JSON.stringify(relayAddress)},()=>s.close())`;
      const r = await lab.exec(DAEMON_HOST, [process.execPath, '-e', send]);
      assert.equal(r.code, 0, `could not send the control datagram: ${r.stderr}`);
    });
    const file = await capture.stopAndAttach('relay host during relayed sessions (TLS and UDP viewer legs)');

    await ctx.check(['NS-32'], 'the frames were byte-identical at the viewer', async () => {
      for (const s of sessions) assertFramesIdentical(lab, s.result);
    });

    await ctx.step('the capture holds the relayed stream and finds the plaintext control (the search works)', async () => {
      const toDesktop = await readPcap(file, { filter: `udp && ip.addr == ${daemonAddress}` });
      const bytes = toDesktop.reduce((n, p) => n + p.length, 0);
      const frameBytes = sessions.reduce((n, s) => n + s.result.bytes, 0);
      assert.ok(bytes >= frameBytes, `the relay capture holds ${bytes} bytes to/from the desktop, fewer than ${frameBytes}`);
      assert.equal(await pcapContains(file, control), true, 'the search did not find the plaintext control datagram');
      ctx.metric('bytes relayed between coturn and the desktop (captured)', bytes, 'bytes');
    });

    await ctx.check(
      ['NS-35', 'DE-33'],
      'the frame canary appears nowhere in the capture: the relay saw only DTLS / TLS',
      async () => {
        assert.equal(await pcapContains(file, lab.screenCanary), false, 'the relay capture holds frame content in plaintext');
        const dtls = await readPcap(file, { filter: `dtls && ip.addr == ${daemonAddress}` });
        ctx.metric('DTLS records tshark recognised on the relay-desktop leg', dtls.length, 'records');
      },
    );
  },
});
