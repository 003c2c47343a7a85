import assert from 'node:assert/strict';
import { runTurnClient } from '@multiclaw-lab/infra';
import { addressOf } from '@multiclaw-lab/network';
import { type RouteResponse, routes } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { labOwner, view, waitForTurnEvent } from './webrtc-support.ts';

const HOST = 's1-d1';

type TurnCredentials = RouteResponse<typeof routes.getTurnCredentials>;

/**
 * TURN credentials are time-limited. Credentials the cloud issued while its clock stood two TTLs
 * in the past are already expired when they reach coturn: coturn refuses the allocation (401)
 * and logs it. A relay open to whoever once held credentials would not be a secured piece of the
 * infrastructure. Fresh credentials from the cloud allocate, and the app views through the relay.
 */
export default defineScenario({
  id: 'S26-webrtc-expired-turn-credentials',
  title: 'Expired TURN credentials are refused by coturn; fresh ones from the cloud work',
  claims: ['NS-34', 'SO-45'],
  tags: ['webrtc', 'tokens'],
  needs: ['clock'],
  timeoutMs: 120_000,
  async run(ctx) {
    const { lab, api } = ctx;
    const owner = labOwner(lab);
    const relay = addressOf(lab.topology, 'relay');
    const credentials = () => api.request(routes.getTurnCredentials, { credential: owner.bearer });
    const allocate = (c: TurnCredentials) =>
      runTurnClient(lab.runner(HOST), {
        server: relay,
        port: 3478,
        transport: 'udp',
        username: c.username,
        credential: c.credential,
      });

    const expired = await ctx.step('the cloud issues credentials with its clock two TTLs behind', async () => {
      const ttl = (await credentials()).ttlSeconds;
      await lab.setClock('cloud', -2 * ttl);
      ctx.onCleanup(() => lab.setClock('cloud', 0));
      const old = await credentials();
      await lab.setClock('cloud', 0);
      ctx.note('turn.old_credentials', { username: old.username, expiresAt: old.expiresAt, ttlSeconds: ttl });
      return old;
    });

    await ctx.check(
      ['SO-45'],
      'TURN credentials are time-limited: ones issued two TTLs ago have expired, coturn refuses them and logs it',
      async () => {
        const expiry = Number(expired.username.split(':')[0]);
        assert.ok(expiry * 1000 < Date.now(), `credentials issued two TTLs ago expire at ${expired.expiresAt}, not in the past`);
        const since = Date.now();
        const r = await allocate(expired);
        assert.notEqual(r.code, 0, `coturn allocated with expired credentials:\n${r.output}`);
        const refused = await waitForTurnEvent(
          lab,
          since,
          (e) => e.event === 'turn.auth_failed' && e.user === expired.username,
          `refusal for ${expired.username}`,
        );
        ctx.note('coturn.refused', { ...refused });
      },
    );

    await ctx.check(['NS-34'], 'fresh credentials from the cloud allocate', async () => {
      const since = Date.now();
      const fresh = await credentials();
      const r = await allocate(fresh);
      assert.equal(r.code, 0, `coturn refused fresh credentials:\n${r.output}`);
      await waitForTurnEvent(
        lab,
        since,
        (e) => e.event === 'turn.allocation' && e.user === fresh.username,
        `allocation for ${fresh.username}`,
      );
    });

    await ctx.check(['NS-34'], 'the app, fetching its own fresh credentials, views through the relay', async () => {
      const desktop = await ctx.useDesktop(HOST, owner);
      const result = await view(lab, desktop, 'turn-relay', { frames: 10 });
      assert.equal(result.pair?.local, 'relay');
    });
  },
});
