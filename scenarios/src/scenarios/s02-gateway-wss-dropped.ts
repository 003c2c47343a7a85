import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPENCLAW_CONFIG_FILE, routes, WSS_TOKEN_TTL_SECONDS } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { cloudStatuses } from './task-statuses.ts';

const HOST = 's1-d1';
const GATEWAY = `${HOST}-gateway`;
const API = 'https://api.multiclaw.test/healthz';

/**
 * The gateway's own WSS is cut on the site link while a task runs. The task must go on locally
 * (through to its LLM call, which takes another path) while the gateway retries with growing,
 * jittered delays; the gateway is restarted during the outage, and once the link is back every
 * status update must reach the cloud exactly once and in order, over a session with a new token. The
 * token of the earlier session is then shown refused once it has expired.
 */
export default defineScenario({
  id: 'S02-gateway-wss-dropped',
  title: 'Gateway WSS dropped mid-task: the task goes on, statuses arrive in order, once; a fresh session token',
  claims: ['NS-19', 'NS-21', 'CS-18', 'CS-30', 'NS-24', 'NS-25', 'NS-23', 'SO-07', 'SO-08', 'CS-32', 'NS-05'],
  tags: ['reconnect', 'tokens'],
  needs: ['link-faults', 'clock', 'host-files'],
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('s02'));
    const since = Date.now();
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });

    const { instanceId, earlyToken, firstJti } = await ctx.check(
      ['NS-21', 'CS-18', 'CS-30', 'SO-07', 'NS-05', 'CS-32'],
      'the gateway connects with the token from openclaw.json alone; only that token mints its session tokens',
      async () => {
        const file = join(lab.hostFiles(HOST).home, OPENCLAW_CONFIG_FILE);
        // openclaw.json is documented to hold the workspace token in plaintext, so reading it here
        // exposes nothing new; it is not planted for the canary scan for that reason.
        const config = JSON.parse(await readFile(file, 'utf8')) as { workspace: { authToken: string; instanceId: string } };
        assert.match(config.workspace.authToken, /^mcg_/, 'openclaw.json holds no gateway workspace token');
        const status = await desktop.call('gatewayStatus');
        assert.equal(status.workspace.connected, true, 'the linked gateway is not connected to the cloud');
        const mints = ctx.events(
          'cloud',
          { event: 'realtime.token_minted', channel: 'gateway', cid: config.workspace.instanceId },
          since,
        );
        assert.equal(mints.length, 1, `expected one gateway token minted for the new instance, saw ${mints.length}`);
        // only that workspace token opens the gateway channel: not the bearer, not an altered token
        const withBearer = await ctx.api.raw('POST', '/v1/realtime/token', {
          credential: alice.bearer,
          body: { channel: 'gateway' },
        });
        assert.equal(withBearer.status, 403, `the desktop bearer minted a gateway token (HTTP ${withBearer.status})`);
        const altered = await ctx.api.raw('POST', '/v1/realtime/token', {
          credential: `${config.workspace.authToken.slice(0, -4)}AAAA`,
          body: { channel: 'gateway' },
        });
        assert.equal(altered.status, 401, `an altered workspace token was accepted (HTTP ${altered.status})`);
        // the same kind of token the gateway holds for its session, minted with its own credential
        const early = await ctx.api.request(routes.mintRealtimeToken, {
          credential: config.workspace.authToken,
          body: { channel: 'gateway' },
        });
        ctx.plant(early.token, 'gateway WSS token minted before the drop');
        const forged = `${early.token.slice(0, -4)}${early.token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
        const refused = await ctx.tryRealtime('gateway', forged);
        assert.deepEqual(
          { accepted: refused.accepted, status: refused.status },
          { accepted: false, status: 401 },
          'a WSS token with a broken HMAC signature was not refused with 401',
        );
        return { instanceId: config.workspace.instanceId, earlyToken: early.token, firstJti: String(mints[0]!.jti) };
      },
    );

    await ctx.check(['NS-19', 'NS-05'], 'the desktop app disconnects: the gateway keeps its own WSS', async () => {
      const before = ctx.events('cloud', { event: 'ws.opened', channel: 'gateway', instanceId }, since).at(-1);
      assert.ok(before, 'the cloud saw no gateway session of this instance');
      const off = Date.now();
      await desktop.call('disconnect');
      await ctx.waitForLog('cloud', { event: 'ws.closed', channel: 'user', subject: alice.id }, { since: off });
      const instances = await ctx.api.request(routes.listInstances, { credential: alice.bearer, params: { wid: workspaceId } });
      assert.equal(
        instances.instances.find((i) => i.id === instanceId)?.connected,
        true,
        'the gateway went offline with the desktop',
      );
      const gatewayClosed = ctx.events('cloud', { event: 'ws.closed', connectionId: before.connectionId }, since);
      assert.equal(gatewayClosed.length, 0, 'the gateway session closed when the desktop disconnected');
      await desktop.call('connect');
    });

    const { taskId } = await ctx.step('a task starts and its first statuses reach the cloud', async () => {
      await ctx.until(async () => {
        const s = await desktop.call('gatewayStatus');
        return s.agents.some((a) => a.id === agentId && a.hasKey);
      }, 'the agent and its key to be synced to the gateway');
      const started = await desktop.call('startTask', {
        agentId,
        prompt: 'count to ten',
        steps: 6,
        stepMs: 1_000,
      });
      await ctx.until(
        async () => (await cloudStatuses(ctx, workspaceId, started.taskId, alice.bearer)).length >= 2,
        'the first two statuses to be stored by the cloud',
      );
      return started;
    });

    const mark = Date.now();
    const fault = await ctx.fault(lab.linkFault('s1', 'down', { upstreams: ['api'] }));
    const duringOutage = await ctx.check(['NS-25'], 'link down: the WSS drops, the task goes on locally to the end', async () => {
      const probe = await lab.httpsProbe(HOST, API, { timeoutMs: 1_500 });
      assert.equal(probe.ok, false, 'the cloud was still reachable from the site with the link down');
      await ctx.waitForLog(GATEWAY, { event: 'ws.closed' }, { since: mark, timeoutMs: 30_000 });
      await ctx.until(
        async () => {
          const t = await desktop.call('getTask', { taskId });
          return t.state === 'completed' || t.state === 'failed';
        },
        'the task to finish locally',
        60_000,
      );
      const local = await desktop.call('getTask', { taskId });
      assert.equal(local.state, 'completed', `the task ended ${local.state} during the outage`);
      const status = await desktop.call('gatewayStatus');
      assert.equal(status.workspace.connected, false, 'the gateway still reported a live cloud link');
      assert.ok(status.outbox.pending > 0, 'no status was waiting for the cloud during the outage');
      const stored = await ctx.api.raw('GET', `/v1/workspaces/${workspaceId}/tasks/${taskId}/statuses`, {
        credential: alice.bearer,
      });
      const storedCount = (stored.body as { statuses: unknown[] }).statuses.length;
      assert.ok(storedCount < local.statuses.length, 'every status had reached the cloud although the link was down');
      ctx.metric('statuses queued during the outage', local.statuses.length - storedCount, 'statuses');
      return local;
    });

    await ctx.check(['NS-24'], 'during the outage the gateway retries with growing, jittered delays', async () => {
      // The gateway announces each retry's delay. Full jitter under a doubling ceiling: the delays
      // differ, and the last three of the first seven outweigh the first three (a fixed or
      // unjittered retry loop fails either; a correct backoff fails the second about once in 3,000).
      const retries = () =>
        ctx
          .events(GATEWAY, { event: 'ws.reconnect_scheduled' }, mark)
          .filter((e) => e.reason === undefined)
          .map((e) => Number(e.delayMs));
      await ctx.until(async () => retries().length >= 7, 'seven reconnect attempts of the gateway during the outage', 60_000);
      const delays = retries().slice(0, 7);
      ctx.note('gateway.retry_delays', { delays });
      assert.ok(new Set(delays).size > 1, `every retry waited the same ${delays[0]} ms: no jitter`);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      assert.ok(sum(delays.slice(4)) > sum(delays.slice(0, 3)), `the retry delays do not grow: ${JSON.stringify(delays)} ms`);
    });

    await ctx.step('the gateway restarts during the outage (the computer is rebooted)', async () => {
      const before = await desktop.call('gatewayStatus');
      assert.ok(before.outbox.pending > 0, 'no status was waiting for the cloud before the restart');
      await lab.restart(GATEWAY);
    });

    await ctx.heal(fault);
    const reconnectedAt = Date.now();
    await ctx.step('the link is back', async () => {
      assert.equal((await lab.httpsProbe(HOST, API)).ok, true, 'the link did not come back after heal');
    });
    await ctx.check(['NS-24'], 'after heal the gateway reconnects by itself', async () => {
      const welcome = await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: reconnectedAt, timeoutMs: 60_000 });
      ctx.metric('gateway reconnect after heal', welcome.receivedAt - reconnectedAt, 'ms');
      await ctx.waitForLog('cloud', { event: 'ws.opened', channel: 'gateway', instanceId }, { since: reconnectedAt });
    });
    await ctx.check(['NS-25'], 'every status recorded offline reaches the cloud once, in order', async () => {
      await ctx.until(
        async () => (await cloudStatuses(ctx, workspaceId, taskId, alice.bearer)).length >= duringOutage.statuses.length,
        'every status to reach the cloud',
        60_000,
      );
      const stored = await cloudStatuses(ctx, workspaceId, taskId, alice.bearer);
      assert.deepEqual(
        stored.map((s) => ({ seq: s.seq, state: s.state, detail: s.detail })),
        duringOutage.statuses.map((s) => ({ seq: s.seq, state: s.state, detail: s.detail })),
        'the cloud does not hold exactly the statuses the gateway recorded, in order',
      );
      const storedEvents = ctx.events('cloud', { event: 'task.status', taskId, outcome: 'stored' }, since);
      assert.deepEqual(
        storedEvents.map((e) => e.seq),
        duringOutage.statuses.map((s) => s.seq),
        'the cloud stored some status more than once or out of order',
      );
      const pending = await desktop.call('gatewayStatus');
      assert.equal(pending.outbox.pending, 0, 'statuses are still waiting in the outbox');
    });

    await ctx.check(['NS-23', 'NS-24', 'SO-08', 'CS-32'], 'the new session token is a different one', async () => {
      const mints = ctx.events('cloud', { event: 'realtime.token_minted', channel: 'gateway', cid: instanceId }, since);
      const afterDrop = ctx.events('cloud', { event: 'realtime.token_minted', channel: 'gateway', cid: instanceId }, mark);
      assert.ok(afterDrop.length >= 1, 'the gateway did not mint a new WSS token to reconnect');
      assert.ok(
        afterDrop.every((m) => m.jti !== firstJti),
        'the reconnect reused the token of the earlier session',
      );
      assert.equal(new Set(mints.map((m) => m.jti)).size, mints.length, 'two mints carried the same token id');
    });

    await ctx.check(
      ['SO-08', 'CS-32', 'NS-23'],
      'a token that already opened a session is refused, and so is an expired one',
      async () => {
        // The harness's token from before the drop opens its one session (which replaces the
        // gateway's connection: one per instance; the gateway comes back by itself)…
        const now = Date.now();
        const first = await ctx.tryRealtime('gateway', earlyToken);
        assert.equal(first.accepted, true, `an unused, valid gateway token was refused (HTTP ${first.status})`);
        await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: now, timeoutMs: 60_000 });
        // …and can never open another, although it is still within its 4 h
        const replay = await ctx.tryRealtime('gateway', earlyToken);
        assert.deepEqual(
          { accepted: replay.accepted, status: replay.status },
          { accepted: false, status: 401 },
          'a WSS token that had already opened a session was accepted again',
        );
        const moved = Date.now();
        await lab.setClock('cloud', WSS_TOKEN_TTL_SECONDS.gateway + 60);
        ctx.onCleanup(() => lab.setClock('cloud', 0));
        const expired = await ctx.tryRealtime('gateway', earlyToken);
        assert.deepEqual(
          { accepted: expired.accepted, status: expired.status, code: expired.code },
          { accepted: false, status: 401, code: 'token_expired' },
          'the earlier session token was not refused after its 4 h',
        );
        // the live session's token expired too: the gateway renews it with the workspace token
        await ctx.waitForLog(GATEWAY, { event: 'ws.closed', code: 4001 }, { since: moved, timeoutMs: 30_000 });
        await ctx.waitForLog(GATEWAY, { event: 'ws.welcome' }, { since: moved, timeoutMs: 60_000 });
        await lab.setClock('cloud', 0);
      },
    );
  },
});
