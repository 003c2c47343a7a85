import assert from 'node:assert/strict';
import { CLOSE_CODES, routes } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { closeCodes, cloudInstanceIds, holdOnEveryInstance, nodeOfSession } from './cloud-instances.ts';

const BOB_HOST = 's1-d1';
const CAROL_HOST = 's1-d2';
const REMOVE_ROUTE = '/v1/workspaces/:wid/members/:uid';

/**
 * Several cloud instances behind the load balancer, as in production. Bob holds sessions on
 * every instance (his desktop app and gateway, plus sessions the scenario opens until every
 * instance holds one of his); an owner removes him, and the request lands on one instance. Every
 * one of Bob's sessions must close at once with 4003 on every instance — each instance closing
 * its own — while Carol, on the same instances, keeps hers.
 */
export default defineScenario({
  id: 'S31-user-removed-on-one-cloud-instance',
  title: 'Load-balanced cloud: a user removed through one instance loses every session on all of them at once',
  claims: ['CS-41', 'CS-23', 'CS-05'],
  tags: ['tokens'],
  needs: [],
  desktopHosts: 2,
  cloudInstances: 2,
  timeoutMs: 180_000,
  async run(ctx) {
    const instances = cloudInstanceIds(ctx);
    const owner = await ctx.account('owner');
    const bob = await ctx.account('bob');
    const carol = await ctx.account('carol');
    const workspaceId = await ctx.workspace(owner, [{ account: bob }, { account: carol }]);
    const since = Date.now();
    await ctx.useDesktop(BOB_HOST, bob, { workspaceId });
    await ctx.useDesktop(CAROL_HOST, carol, { workspaceId });

    const { bobs, carols } = await ctx.step('Bob and Carol each hold sessions on every cloud instance', async () => {
      const bobs = await holdOnEveryInstance(ctx, bob.bearer, instances.length);
      const carols = await holdOnEveryInstance(ctx, carol.bearer, instances.length);
      ctx.note('sessions.spread', {
        bob: bobs.map((h) => h.node),
        carol: carols.map((h) => h.node),
        bobApp: nodeOfSession(ctx, { channel: 'user', subject: bob.id }, since),
        bobGateway: nodeOfSession(ctx, { channel: 'gateway', subject: bob.id }, since),
      });
      return { bobs, carols };
    });

    const removedAt = Date.now();
    const servedBy = await ctx.check(
      ['CS-23', 'CS-41'],
      'an owner removes Bob: the request is served by one instance',
      async () => {
        await ctx.api.request(routes.removeMember, { credential: owner.bearer, params: { wid: workspaceId, uid: bob.id } });
        const fields = { event: 'http.request', method: 'DELETE', route: REMOVE_ROUTE };
        const served = await ctx.waitForLog('cloud', fields, { since: removedAt });
        assert.equal(served.json?.status, 204, `the removal was answered ${served.json?.status}`);
        assert.equal(ctx.events('cloud', fields, removedAt).length, 1, 'the removal request was served more than once');
        return String(served.json?.node);
      },
    );

    await ctx.check(
      ['CS-41', 'CS-05'],
      'every session of Bob closes with 4003, on every instance, each closed by its own',
      async () => {
        assert.deepEqual(
          await closeCodes(bobs),
          bobs.map(() => CLOSE_CODES.revoked),
          `a session of Bob did not close as revoked (on ${bobs.map((h) => h.node).join(', ')})`,
        );
        for (const h of bobs) {
          const closing = ctx.events('cloud', { event: 'ws.closing', connectionId: h.connectionId }, removedAt);
          assert.equal(closing.length, 1, `session ${h.connectionId} on ${h.node} was not closed by the cloud`);
          assert.equal(
            closing[0]!.node,
            h.node,
            `session ${h.connectionId} was closed by ${closing[0]!.node}, not by ${h.node} which held it`,
          );
        }
        const elsewhere = bobs.filter((h) => h.node !== servedBy);
        assert.ok(elsewhere.length > 0, `no session of Bob was on another instance than ${servedBy}`);
        // the apps' own sessions: Bob's desktop app and gateway are closed too, wherever they were
        for (const channel of ['user', 'gateway'] as const) {
          const opened = ctx
            .events('cloud', { event: 'ws.opened', channel, subject: bob.id }, since)
            .filter((e) => !bobs.some((h) => h.connectionId === e.connectionId));
          for (const e of opened) await ctx.waitForLog('cloud', { event: 'ws.closed', connectionId: e.connectionId }, { since });
        }
        const lastClose = Math.max(
          ...bobs
            .map((h) => ctx.events('cloud', { event: 'ws.closing', connectionId: h.connectionId }, removedAt)[0]!.time as string)
            .map(Date.parse),
        );
        ctx.metric('removal to the last session closed', lastClose - removedAt, 'ms');
      },
    );

    await ctx.check(['CS-41'], 'Bob cannot open a session again through any instance; Carol keeps hers', async () => {
      for (let i = 0; i < instances.length * 2; i++) {
        const res = await ctx.api.raw('POST', '/v1/realtime/token', { credential: bob.bearer, body: { channel: 'user' } });
        assert.equal(res.status, 401, `Bob's bearer minted a session token after the removal (HTTP ${res.status})`);
      }
      for (const h of carols) {
        const closing = ctx.events('cloud', { event: 'ws.closing', connectionId: h.connectionId }, removedAt);
        assert.equal(closing.length, 0, `Carol's session on ${h.node} was closed by the removal of Bob`);
      }
      const status = await ctx.lab.desktop(CAROL_HOST).call('status');
      assert.equal(status.signedIn, true, "Carol's desktop app was signed out by the removal of Bob");
    });
  },
});
