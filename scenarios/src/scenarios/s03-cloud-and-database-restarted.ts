import assert from 'node:assert/strict';
import { CLOUD_GROUP, type DesktopDriver } from '@multiclaw-lab/core';
import type { ScenarioContext } from '../context.ts';
import { defineScenario } from '../define.ts';

const HOST = 's1-d1';
const GATEWAY = `${HOST}-gateway`;
const API = 'https://api.multiclaw.test/healthz';

interface Status {
  seq: number;
  state: string;
  detail: string;
}

/**
 * Two outages on the provider's side while a task runs: the cloud process is killed (and
 * started again), then its database is restarted. The desktop app and the gateway must come
 * back by themselves, without a sign-in, and every task status recorded meanwhile must reach
 * the cloud exactly once, in order.
 */
export default defineScenario({
  id: 'S03-cloud-and-database-restarted',
  title: 'Cloud killed and restarted, database restarted: clients recover by themselves, nothing lost',
  claims: ['NS-17', 'NS-24', 'NS-25'],
  tags: ['reconnect'],
  needs: ['process-faults'],
  timeoutMs: 300_000,
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('s03'));
    const since = Date.now();
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
    // whatever happens, leave the cloud and the database running
    // (the cloud: every instance of it, when it runs as several behind the load balancer)
    const clouds = lab.serviceGroup(CLOUD_GROUP).map((s) => s.def.id);
    ctx.onCleanup(async () => {
      for (const id of ['postgres', ...clouds]) if (!lab.service(id).handle.running) await lab.restart(id);
    });
    await ctx.until(async () => {
      const s = await desktop.call('gatewayStatus');
      return s.agents.some((a) => a.id === agentId && a.hasKey);
    }, 'the agent and its key to be synced to the gateway');

    // --- the cloud process is killed --------------------------------------------------------
    const first = await startTask(ctx, desktop, workspaceId, agentId, alice.bearer);
    const killedAt = Date.now();
    const desktopMark = desktop.mark();
    await ctx.step('the cloud is killed (SIGKILL): clients lose it', async () => {
      const recorded = (await localTask(desktop, first)).statuses.length;
      await Promise.all(clouds.map((id) => lab.kill(id)));
      ctx.note('fault.on', { fault: 'cloud process killed' });
      const probe = await lab.httpsProbe(HOST, API, { timeoutMs: 1_500 });
      assert.equal(probe.ok, false, 'the cloud still answered after it was killed');
      await ctx.waitForLog(GATEWAY, { event: 'ws.closed' }, { since: killedAt });
      await desktop.waitForEvent({ event: 'realtime.backoff' }, { since: desktopMark, timeoutMs: 30_000 });
      // statuses keep being recorded locally while the cloud is gone
      await ctx.until(
        async () => (await localTask(desktop, first)).statuses.length >= recorded + 2,
        'the task to record statuses during the outage',
      );
    });
    const restartedAt = await ctx.step('the cloud starts again', async () => {
      const at = Date.now();
      await Promise.all(clouds.map((id) => lab.restart(id)));
      ctx.note('fault.healed', { fault: 'cloud process started again' });
      assert.equal((await lab.httpsProbe(HOST, API)).ok, true, 'the restarted cloud does not answer');
      return at;
    });
    await ctx.check(['NS-17'], 'the desktop app comes back by itself with its bearer, no sign-in', async () => {
      const reconnected = await desktop.waitForEvent(
        { event: 'realtime.reconnected' },
        { since: desktopMark, timeoutMs: 60_000 },
      );
      ctx.metric('desktop reconnect after cloud restart', Number(reconnected.json?.downtimeMs), 'ms');
      assert.equal(ctx.events('cloud', { event: 'auth.signed_in' }, killedAt).length, 0, 'the desktop signed in again');
    });
    await ctx.check(['NS-24'], 'the gateway comes back by itself', async () => {
      const welcome = await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: restartedAt, timeoutMs: 60_000 });
      ctx.metric('gateway back after cloud restart', welcome.receivedAt - restartedAt, 'ms');
    });
    await ctx.check(['NS-25'], 'every status recorded while the cloud was down reaches it once, in order', () =>
      allStatusesArrive(ctx, desktop, workspaceId, first, alice.bearer, since),
    );

    // --- the database is restarted ----------------------------------------------------------
    const second = await startTask(ctx, desktop, workspaceId, agentId, alice.bearer);
    await ctx.step('the database is stopped: the cloud cannot store statuses', async () => {
      const stoppedAt = Date.now();
      const recorded = (await localTask(desktop, second)).statuses.length;
      // the lab stops PostgreSQL with its fast shutdown (SIGINT), not SIGTERM's "smart" one
      await lab.stop('postgres');
      ctx.note('fault.on', { fault: 'database stopped' });
      const me = await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer });
      assert.ok(me.status >= 500, `the cloud answered ${me.status} for /v1/me with its database down`);
      await ctx.until(
        async () => (await localTask(desktop, second)).statuses.length >= recorded + 2,
        'the task to record statuses during the database outage',
      );
      const stored = await cloudStatuses(ctx, workspaceId, second, alice.bearer);
      assert.equal(stored, undefined, 'the cloud served task statuses with its database down');
      ctx.metric('database outage observed', Date.now() - stoppedAt, 'ms');
    });
    await ctx.step('the database starts again and the cloud serves requests', async () => {
      await lab.restart('postgres');
      ctx.note('fault.healed', { fault: 'database started again' });
      await ctx.until(
        async () => (await ctx.api.raw('GET', '/v1/me', { credential: alice.bearer })).status === 200,
        'the cloud to serve requests again',
        60_000,
      );
    });
    await ctx.check(['NS-25'], 'every status recorded while the database was down reaches the cloud once, in order', () =>
      allStatusesArrive(ctx, desktop, workspaceId, second, alice.bearer, since),
    );
    await ctx.check(
      ['NS-17', 'NS-24'],
      'the desktop app and the gateway are connected after the database came back',
      async () => {
        const status = await desktop.call('status');
        assert.deepEqual({ state: status.state, signedIn: status.signedIn }, { state: 'connected', signedIn: true });
        const gw = await desktop.call('gatewayStatus');
        assert.equal(gw.workspace.connected, true, 'the gateway is not connected after the database came back');
      },
    );
  },
});

async function startTask(
  ctx: ScenarioContext,
  desktop: DesktopDriver,
  workspaceId: string,
  agentId: string,
  bearer: string,
): Promise<string> {
  return ctx.step('a task starts and its first statuses reach the cloud', async () => {
    const { taskId } = await desktop.call('startTask', {
      agentId,
      prompt: 'keep going',
      steps: 10,
      stepMs: 1_000,
    });
    await ctx.until(
      async () => ((await cloudStatuses(ctx, workspaceId, taskId, bearer)) ?? []).length >= 2,
      'the first statuses to be stored by the cloud',
    );
    return taskId;
  });
}

function localTask(desktop: DesktopDriver, taskId: string) {
  return desktop.call('getTask', { taskId });
}

async function cloudStatuses(
  ctx: ScenarioContext,
  workspaceId: string,
  taskId: string,
  bearer: string,
): Promise<Status[] | undefined> {
  const res = await ctx.api.raw('GET', `/v1/workspaces/${workspaceId}/tasks/${taskId}/statuses`, { credential: bearer });
  return res.status === 200 ? (res.body as { statuses: Status[] }).statuses : undefined;
}

/** Waits for the task to end, then for the cloud to hold exactly its statuses, each stored once. */
async function allStatusesArrive(
  ctx: ScenarioContext,
  desktop: DesktopDriver,
  workspaceId: string,
  taskId: string,
  bearer: string,
  since: number,
): Promise<void> {
  await ctx.until(
    async () => ['completed', 'failed'].includes((await localTask(desktop, taskId)).state),
    'the task to end',
    60_000,
  );
  const local = await localTask(desktop, taskId);
  assert.equal(local.state, 'completed', `the task ended ${local.state}`);
  await ctx.until(
    async () => ((await cloudStatuses(ctx, workspaceId, taskId, bearer)) ?? []).length >= local.statuses.length,
    'every status to reach the cloud',
    60_000,
  );
  const stored = (await cloudStatuses(ctx, workspaceId, taskId, bearer)) ?? [];
  const pick = (s: Status) => ({ seq: s.seq, state: s.state, detail: s.detail });
  assert.deepEqual(stored.map(pick), local.statuses.map(pick), 'the cloud does not hold exactly the recorded statuses, in order');
  const storedEvents = ctx.events('cloud', { event: 'task.status', taskId, outcome: 'stored' }, since);
  assert.deepEqual(
    storedEvents.map((e) => e.seq),
    local.statuses.map((s) => s.seq),
    'the cloud stored a status more than once or out of order',
  );
}
