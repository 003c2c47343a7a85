import assert from 'node:assert/strict';
import { addressOf, PROBE_PORTS } from '@multiclaw-lab/network';
import { routes } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import {
  assertFramesIdentical,
  DAEMON_HOST,
  labOwner,
  turnProbe,
  turnSubject,
  view,
  viewMetrics,
  waitForTurnEvent,
} from './webrtc-support.ts';

const HOST = 's1-d1';
const SITE = 's1';
const PROBE_PORT = PROBE_PORTS.max;

/**
 * A firewall at the site drops all UDP to and from the cloud desktop (other UDP passes): no
 * direct path. In mode auto the app's direct attempt fails within its bound and the stream comes
 * through coturn over TURN/UDP; every frame still arrives byte-identical. The relay is no way
 * into the operator's own hosts: with valid credentials, a permission to the database or the
 * cloud is refused, one to the cloud desktop granted.
 */
export default defineScenario({
  id: 'S21-webrtc-turn-udp',
  title: 'Cloud desktop viewer, direct path impossible: relayed through coturn over TURN/UDP',
  claims: ['NS-07', 'NS-34', 'SO-45'],
  tags: ['webrtc'],
  needs: ['firewall'],
  timeoutMs: 120_000,
  async run(ctx) {
    const { lab } = ctx;
    const desktop = await ctx.useDesktop(HOST, labOwner(lab));
    const daemonAddress = addressOf(lab.topology, DAEMON_HOST);
    const relayAddress = addressOf(lab.topology, 'relay');
    const echo = await lab.driver.startUdpEcho(DAEMON_HOST, PROBE_PORT);
    ctx.onCleanup(() => echo.stop());
    const relayEcho = await lab.driver.startUdpEcho('relay', PROBE_PORT);
    ctx.onCleanup(() => relayEcho.stop());
    const probe = async (address: string) => (await lab.driver.probeUdp(HOST, address, PROBE_PORT, { timeoutMs: 1_500 })).ok;

    await ctx.step('before the fault, UDP reaches the cloud desktop', async () => {
      assert.equal(await probe(daemonAddress), true, 'UDP to the cloud desktop fails even without the fault');
    });
    const firewall = await ctx.fault(lab.driver.blockUdpWithPeer({ site: SITE }, daemonAddress));
    await ctx.step('the fault took effect: UDP to the cloud desktop is dropped, UDP to the relay passes', async () => {
      assert.equal(await probe(daemonAddress), false, 'UDP still reaches the cloud desktop through the firewall');
      assert.equal(await probe(relayAddress), true, 'the firewall also blocks UDP to the relay');
    });

    const since = Date.now();
    const result = await ctx.check(
      ['NS-34', 'NS-07'],
      'with the direct path blocked, the app still views the cloud desktop',
      () => view(lab, desktop, 'auto', { frames: 45, timeoutMs: 25_000 }),
    );
    ctx.note('webrtc.view', { ...result, sha256: `${result.sha256.length} hashes` });
    viewMetrics(ctx, 'relay over TURN/UDP', result);

    await ctx.check(
      ['NS-34'],
      'the direct attempt failed; the relay attempt connected with a relay candidate over UDP',
      async () => {
        assert.deepEqual(
          result.failedAttempts.map((a) => a.attempt),
          ['direct'],
          'the app did not try direct first, or failed more than once',
        );
        assert.equal(result.attempt, 'relay');
        assert.equal(result.pair?.local, 'relay', `local candidate: ${result.pair?.localCandidate}`);
        assert.equal(result.pair?.relayTransport, 'udp');
        assert.match(result.pair?.localCandidate ?? '', new RegExp(` ${relayAddress.replaceAll('.', '\\.')} `));
      },
    );

    await ctx.check(['NS-34'], "coturn allocated the app's relay on a plain (UDP) session", async () => {
      const account = labOwner(lab);
      await waitForTurnEvent(
        lab,
        since,
        (a) => a.event === 'turn.allocation' && a.transport === 'plain' && turnSubject(a.user) === account.id,
        `plain allocation for the viewer (${account.id})`,
      );
    });

    await ctx.check(['NS-07'], 'every frame arrived byte-identical', async () => assertFramesIdentical(lab, result));

    await ctx.heal(firewall);
    await ctx.check(['NS-07'], 'after heal, UDP reaches the cloud desktop again and the next view is direct', async () => {
      assert.equal(await probe(daemonAddress), true, 'UDP to the cloud desktop still fails after heal');
      const again = await view(lab, desktop, 'auto', { frames: 5, directTimeoutMs: 15_000, timeoutMs: 25_000 });
      assert.equal(again.attempt, 'direct', 'after heal the viewer still needed the relay');
    });

    await ctx.check(
      ['SO-45'],
      "the relay is no way into the cloud's own hosts: a permission to the database or the cloud is refused (403), one to the cloud desktop granted",
      async () => {
        const { username, credential } = await ctx.api.request(routes.getTurnCredentials, { credential: labOwner(lab).bearer });
        const cloud = lab.topology.hosts.find((h) => h.id === 'cloud')!.interfaces.map((i) => i.address);
        const peers = { database: addressOf(lab.topology, 'db'), 'cloud (public)': cloud[0]!, 'cloud (private)': cloud[1]! };
        const wanted = { ...peers, 'cloud desktop': daemonAddress };
        const r = await turnProbe(lab, HOST, {
          host: relayAddress,
          port: 3478,
          transport: 'udp',
          username,
          credential,
          permissions: Object.values(wanted),
        });
        assert.ok(r.ok, `coturn refused the allocation with the cloud's fresh credentials: ${JSON.stringify(r)}`);
        const answered = Object.fromEntries(
          Object.entries(wanted).map(([name, address]) => [name, r.permissions.find((p) => p.peer === address)?.status]),
        );
        ctx.note('turn.permissions', answered);
        assert.deepEqual(answered, { database: 403, 'cloud (public)': 403, 'cloud (private)': 403, 'cloud desktop': 200 });
      },
    );
  },
});
