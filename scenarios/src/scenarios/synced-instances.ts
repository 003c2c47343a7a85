/**
 * Helpers shared by scenarios (S07, S08, S12, S13): the instances that receive config sync (a
 * site's local gateway and the cloud desktop's daemon), their openclaw.json, the provider's
 * record of which key called it, and a gateway task run to its end.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DesktopDriver } from '@multiclaw-lab/core';
import { OPENCLAW_CONFIG_FILE, OpenclawConfig } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';

export interface SyncedInstance {
  /** the lab service id, e.g. s1-d1-gateway or cd1-daemon */
  service: string;
  /** the host whose HOME holds ~/.openclaw */
  host: string;
}

export const CLOUD_DESKTOP: SyncedInstance = { service: 'cd1-daemon', host: 'cd1' };

export function localGateway(host: string): SyncedInstance {
  return { service: `${host}-gateway`, host };
}

export async function readOpenclaw(
  ctx: ScenarioContext,
  instance: SyncedInstance,
): Promise<{ text: string; config: OpenclawConfig }> {
  const text = await readFile(join(ctx.lab.hostFiles(instance.host).home, OPENCLAW_CONFIG_FILE), 'utf8');
  return { text, config: OpenclawConfig.parse(JSON.parse(text)) };
}

/**
 * Waits until the instance has applied a config sync (its `config.synced` log line, logged after
 * openclaw.json is written) after which `accept` holds for its openclaw.json; returns that state.
 */
export async function waitForSync(
  ctx: ScenarioContext,
  instance: SyncedInstance,
  from: number,
  accept: (config: OpenclawConfig) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<{ text: string; config: OpenclawConfig }> {
  const handle = ctx.lab.service(instance.service).handle;
  const deadline = Date.now() + timeoutMs;
  let next = from;
  for (;;) {
    const current = await readOpenclaw(ctx, instance);
    if (accept(current.config)) return current;
    const remaining = deadline - Date.now();
    if (remaining <= 0) assert.fail(`${instance.service}: no config sync brought ${what} within ${timeoutMs} ms`);
    const line = await handle
      .waitForLine((l) => handle.lines.indexOf(l) >= next && l.json?.event === 'config.synced', remaining)
      .catch(() => undefined);
    if (line) next = handle.lines.indexOf(line) + 1;
  }
}

/** Runs a task on the desktop's local gateway (no steps, one LLM call) and waits for its last status. */
export async function runTask(
  ctx: ScenarioContext,
  desktop: DesktopDriver,
  host: string,
  agentId: string,
  prompt: string,
): Promise<{ taskId: string; conversationId: string; state: string }> {
  const gateway = ctx.lab.service(`${host}-gateway`).handle;
  // the agent reaches a freshly linked gateway with the config sync that follows the welcome
  await waitForSync(ctx, localGateway(host), gateway.lines.length, (c) => c.agents.some((a) => a.id === agentId), 'the agent');
  const from = gateway.lines.length;
  const started = await desktop.call('startTask', {
    agentId,
    prompt,
    steps: 0,
    stepMs: 0,
  });
  const last = await gateway.waitForLine(
    (l) =>
      gateway.lines.indexOf(l) >= from &&
      l.json?.event === 'task.status' &&
      l.json.taskId === started.taskId &&
      ['completed', 'failed', 'interrupted'].includes(String(l.json.state)),
    60_000,
  );
  return { ...started, state: String(last.json?.state) };
}

/** Polls the gateway's status until config sync brought `agentId` with its key. */
export async function waitForAgent(desktop: Pick<DesktopDriver, 'call'>, agentId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await desktop.call('gatewayStatus');
    if (status.agents.some((a) => a.id === agentId && a.hasKey)) return;
    assert.ok(Date.now() < deadline, `config sync did not bring agent ${agentId} with its key: ${JSON.stringify(status.agents)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
