import assert from 'node:assert/strict';
import { defineScenario } from '../define.ts';
import {
  balancerMarks,
  closeCodes,
  cloudInstanceIds,
  type HeldSession,
  holdOnEveryInstance,
  holdSession,
  nodeOfSession,
} from './cloud-instances.ts';
import { cloudStatuses } from './task-statuses.ts';

const HOST = 's1-d1';
const OTHER_HOST = 's1-d2';
const GATEWAY = `${HOST}-gateway`;

/**
 * Several cloud instances behind the load balancer. While a task streams its statuses and
 * sessions sit on every instance, the instance holding the gateway's session is killed
 * (SIGKILL: no goodbye to anyone). Its sessions must drop, the load balancer must stop sending
 * clients there, the desktop app and gateway must come back on the instances left — with fresh
 * session tokens, no new sign-in — and every task status must reach the cloud once, in order.
 * Then the instance is started again and takes new sessions.
 */
export default defineScenario({
  id: 'S30-cloud-instance-killed',
  title: 'Load-balanced cloud: an instance dies under load; its clients come back on the others and no status update is lost',
  claims: ['NS-17', 'NS-24', 'NS-25'],
  tags: ['reconnect'],
  needs: ['process-faults'],
  desktopHosts: 2,
  cloudInstances: 2,
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;
    const instances = cloudInstanceIds(ctx);
    const alice = await ctx.account('alice');
    const bob = await ctx.account('bob');
    const workspaceId = await ctx.workspace(alice, [{ account: bob }]);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('s30'));
    const since = Date.now();
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
    await ctx.useDesktop(OTHER_HOST, bob, { workspaceId });

    const { held, instanceId } = await ctx.step('sessions on every instance; a task streams its statuses', async () => {
      const held = [
        ...(await holdOnEveryInstance(ctx, alice.bearer, instances.length)),
        ...(await holdOnEveryInstance(ctx, bob.bearer, instances.length)),
      ];
      await ctx.until(async () => {
        const s = await desktop.call('gatewayStatus');
        return s.agents.some((a) => a.id === agentId && a.hasKey);
      }, 'the agent and its key to be synced to the gateway');
      const instanceId = (await desktop.call('gatewayStatus')).workspace.instanceId;
      assert.ok(instanceId, 'the gateway is not linked');
      return { held, instanceId };
    });
    const started = await desktop.call('startTask', { agentId, prompt: 'count to ten', steps: 8, stepMs: 750 });
    await ctx.until(
      async () => (await cloudStatuses(ctx, workspaceId, started.taskId, alice.bearer)).length >= 1,
      'a first status stored',
    );

    const victim = nodeOfSession(ctx, { channel: 'gateway', instanceId }, since);
    assert.ok(victim && instances.includes(victim), `the gateway's session is on no known instance (${victim})`);
    const onVictim = held.filter((h) => h.node === victim);
    const killedAt = Date.now();
    await ctx.check(
      ['NS-24', 'NS-17'],
      `${victim} is killed: every session it held drops, the load balancer takes it out`,
      async () => {
        await lab.kill(victim);
        assert.equal(lab.service(victim).handle.running, false, `${victim} still runs after SIGKILL`);
        assert.ok(onVictim.length > 0, `the scenario held no session on ${victim}`);
        const closes = await closeCodes(onVictim);
        assert.ok(!closes.includes('open'), `a session on ${victim} stayed open after it was killed`);
        await ctx.waitForLog(GATEWAY, { event: 'ws.closed' }, { since: killedAt, timeoutMs: 30_000 });
        await balancerMarks(ctx, victim, 'DOWN', killedAt);
        ctx.note('instance.killed', { instance: victim, sessionsDropped: closes.length });
      },
    );

    await ctx.check(
      ['NS-24', 'NS-17'],
      'the gateway and the apps come back on the instances left, with fresh tokens, no new sign-in',
      async () => {
        const back = await ctx.waitForLog(
          'cloud',
          { event: 'ws.opened', channel: 'gateway', instanceId },
          { since: killedAt, timeoutMs: 60_000 },
        );
        assert.notEqual(back.json?.node, victim, 'the gateway came back on the killed instance');
        ctx.metric('gateway back after the kill', back.receivedAt - killedAt, 'ms');
        const minted = ctx.events('cloud', { event: 'realtime.token_minted', channel: 'gateway', cid: instanceId }, killedAt);
        assert.ok(minted.length >= 1, 'the gateway did not mint a fresh session token to reconnect');
        for (const user of [alice, bob]) {
          const wasOnVictim = ctx
            .events('cloud', { event: 'ws.opened', channel: 'user', subject: user.id, node: victim }, since)
            .filter((e) => !held.some((h) => h.connectionId === e.connectionId));
          if (wasOnVictim.length === 0) continue;
          const again = await ctx.waitForLog(
            'cloud',
            { event: 'ws.opened', channel: 'user', subject: user.id },
            { since: killedAt, timeoutMs: 60_000 },
          );
          assert.notEqual(again.json?.node, victim, `${user.email}'s app came back on the killed instance`);
        }
        assert.equal(
          ctx.events('cloud', { event: 'auth.signed_in' }, killedAt).length,
          0,
          'an app signed in again instead of reconnecting',
        );
      },
    );

    await ctx.check(['NS-25'], 'every task status reaches the cloud once, in order', async () => {
      await ctx.until(
        async () => {
          const t = await desktop.call('getTask', { taskId: started.taskId });
          return t.state === 'completed' || t.state === 'failed';
        },
        'the task to finish',
        60_000,
      );
      const local = await desktop.call('getTask', { taskId: started.taskId });
      assert.equal(local.state, 'completed', `the task ended ${local.state}`);
      await ctx.until(
        async () => (await cloudStatuses(ctx, workspaceId, started.taskId, alice.bearer)).length >= local.statuses.length,
        'every status to reach the cloud',
        60_000,
      );
      const stored = await cloudStatuses(ctx, workspaceId, started.taskId, alice.bearer);
      assert.deepEqual(
        stored.map((s) => ({ seq: s.seq, state: s.state, detail: s.detail })),
        local.statuses.map((s) => ({ seq: s.seq, state: s.state, detail: s.detail })),
        'the cloud does not hold exactly the statuses the gateway recorded, in order',
      );
      // The instances' own lines: each store logged once, in order. A store the killed instance
      // committed just before SIGKILL may have no line (it dies between the commit and the log);
      // the database, read above, is what says nothing is missing.
      const storedSeqs = ctx
        .events('cloud', { event: 'task.status', taskId: started.taskId, outcome: 'stored' }, since)
        .map((e) => Number(e.seq));
      assert.deepEqual(
        storedSeqs,
        [...new Set(storedSeqs)].sort((a, b) => a - b),
        'the cloud stored some status more than once or out of order',
      );
    });

    await ctx.check(['NS-17'], `${victim} started again takes new sessions`, async () => {
      const restartedAt = Date.now();
      await lab.restart(victim);
      await balancerMarks(ctx, victim, 'UP', restartedAt);
      const landed: HeldSession[] = [];
      while (!landed.some((h) => h.node === victim)) {
        assert.ok(landed.length < 24, `24 new sessions and none reached ${victim} after its restart`);
        landed.push(await holdSession(ctx, alice.bearer));
      }
      ctx.metric('sessions opened until one reached the restarted instance', landed.length, 'sessions');
    });
  },
});
