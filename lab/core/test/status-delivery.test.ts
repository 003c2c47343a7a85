import { routes } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { TcpRelay } from '../src/tcp-relay.ts';
import { agentWithKey, eventually, newAccount, newWorkspace, plantedKey, startSite, startStack } from './support.ts';

/**
 * Network security: "Running tasks continue locally during brief outages — status updates sync
 * to MultiClaw Cloud once the connection is restored." The lab holds the gateway to more:
 * every update arrives, in order, exactly once, also across a gateway crash.
 */
describe('task status updates through outages', () => {
  it('reach the cloud in order, exactly once, after the link comes back and after a gateway crash', async () => {
    await using lab = await startStack();
    const owner = await newAccount(lab.api, 'owner');
    const workspaceId = await newWorkspace(lab.api, owner);
    const agentId = await agentWithKey(lab, owner, workspaceId, plantedKey('status'));
    await using relay = await TcpRelay.start(lab.stack.cloudPort);
    const site = await startSite(lab, 'office', owner, workspaceId, {
      cloudUrl: `https://localhost:${relay.port}`,
      gatewayEnv: { LOG_LEVEL: 'debug' },
    });
    const statuses = (taskId: string) =>
      lab.api
        .request(routes.listTaskStatuses, { credential: owner.bearer, params: { wid: workspaceId, tid: taskId } })
        .then((r) => r.statuses);
    const gw = () => site.gateway.process;

    // 1. A task runs while the site's link is down.
    const { taskId } = await site.desktop.call('startTask', {
      agentId,
      prompt: 'long job',
      steps: 12,
      stepMs: 50,
    });
    await gw().waitForLog({ event: 'outbox.acked', taskId, seq: 1 });
    relay.refuse();
    relay.resetAll();
    await gw().waitForLog({ event: 'ws.reconnect_scheduled' });
    await gw().waitForLog({ event: 'task.status', taskId, state: 'completed' });
    const whileDown = await statuses(taskId);
    expect(whileDown.length).toBeLessThan(16); // the fault took effect: not everything arrived
    expect(whileDown.at(-1)?.state).not.toBe('completed');

    relay.heal();
    const all = await eventually(
      () => statuses(taskId),
      (s) => s.at(-1)?.state === 'completed',
    );
    expect(all.map((s) => s.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.map((s) => s.state)).toEqual(['queued', 'running', ...Array(12).fill('step'), 'llm', 'completed']);

    // 2. The gateway is killed mid-task while offline, then restarted on the same HOME.
    const second = await site.desktop.call('startTask', {
      agentId,
      prompt: 'crash job',
      steps: 200,
      stepMs: 20,
    });
    await gw().waitForLog({ event: 'outbox.acked', taskId: second.taskId, seq: 2 });
    relay.refuse();
    relay.resetAll();
    await gw().waitForLog({ event: 'task.status', taskId: second.taskId, state: 'step' });
    gw().signal('SIGKILL');
    await gw().waitForExit();
    const beforeRestart = await statuses(second.taskId);

    const restarted = await lab.stack.startGateway('office-gateway', { home: site.gateway.home, env: { LOG_LEVEL: 'debug' } });
    await restarted.process.waitForLog({ event: 'task.interrupted', taskId: second.taskId });
    relay.heal();
    const after = await eventually(
      () => statuses(second.taskId),
      (s) => s.at(-1)?.state === 'interrupted',
    );
    expect(after.length).toBeGreaterThan(beforeRestart.length);
    expect(after.map((s) => s.seq)).toEqual(after.map((_, i) => i + 1));
    expect(after.filter((s) => s.state === 'interrupted')).toHaveLength(1);

    // The first task's record did not change: nothing replayed twice.
    expect(await statuses(taskId)).toEqual(all);
    await restarted.process.stop();
    await site.desktop.close();
  });
});
