/**
 * What the load-balanced cloud's scenarios share: holding real-time sessions as one more client
 * (through the load balancer, like every client), and telling from the cloud's own log lines
 * which instance holds which session (every cloud log line names its instance in `node`).
 */
import { join } from 'node:path';
import { balancerStateText, CLOUD_BALANCER_ID, CLOUD_GROUP, type HeldRealtime, holdRealtime } from '@multiclaw-lab/core';
import { type ChannelKind, routes } from '@multiclaw-lab/protocol';
import type { ScenarioContext } from '../context.ts';

/** A session the scenario holds, with the cloud instance that accepted it. */
export interface HeldSession extends HeldRealtime {
  node: string;
}

/** Mints a fresh token with `credential` and holds a session on `channel`; closed at cleanup. */
export async function holdSession(ctx: ScenarioContext, credential: string, channel: ChannelKind = 'user'): Promise<HeldSession> {
  const { token } = await ctx.api.request(routes.mintRealtimeToken, { credential, body: { channel } });
  const since = Date.now();
  const held = await holdRealtime(
    { baseUrl: ctx.api.baseUrl, caPem: ctx.lab.ca.certPem, socketPath: join(ctx.lab.runDir, 'cloud-api.sock') },
    channel,
    token,
  );
  ctx.onCleanup(async () => held.close());
  const opened = await ctx.waitForLog('cloud', { event: 'ws.opened', connectionId: held.connectionId }, { since });
  return { ...held, node: String(opened.json?.node) };
}

/**
 * Holds sessions for `credential` until they sit on at least `instances` different cloud
 * instances (the load balancer picks; a bounded number of tries).
 */
export async function holdOnEveryInstance(
  ctx: ScenarioContext,
  credential: string,
  instances: number,
  maxTries = 24,
): Promise<HeldSession[]> {
  const held: HeldSession[] = [];
  while (new Set(held.map((h) => h.node)).size < instances) {
    if (held.length >= maxTries)
      throw new Error(
        `${maxTries} sessions all landed on ${[...new Set(held.map((h) => h.node))].join(', ')}: the load balancer does not spread them over ${instances} instances`,
      );
    held.push(await holdSession(ctx, credential));
  }
  return held;
}

/** The cloud instances of the lab (service ids, which are also their `node` names). */
export function cloudInstanceIds(ctx: ScenarioContext): string[] {
  return ctx.lab.serviceGroup(CLOUD_GROUP).map((s) => s.def.id);
}

/** Which instance logged the newest `ws.opened` matching `fields` since `since`, if any. */
export function nodeOfSession(ctx: ScenarioContext, fields: Record<string, unknown>, since: number): string | undefined {
  const opened = ctx.events('cloud', { event: 'ws.opened', ...fields }, since).at(-1);
  return opened ? String(opened.node) : undefined;
}

/** Waits for the load balancer's health checks to take `instanceId` out of rotation or put it back. */
export function balancerMarks(ctx: ScenarioContext, instanceId: string, state: 'UP' | 'DOWN', since: number) {
  return ctx.lab.waitForLine(
    CLOUD_BALANCER_ID,
    (l) => l.receivedAt >= since && l.text.includes(balancerStateText(instanceId, state)),
    30_000,
    `the load balancer marking ${instanceId} ${state}`,
  );
}

/**
 * How each held session ended: its close code, or `open` if it was still open after `timeoutMs`
 * (a session the cloud should have closed and did not).
 */
export async function closeCodes(sessions: HeldSession[], timeoutMs = 30_000): Promise<Array<number | 'open'>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'open'>((resolve) => {
    timer = setTimeout(() => resolve('open'), timeoutMs);
  });
  try {
    return await Promise.all(sessions.map((h) => Promise.race([h.closed.then((c) => c.code), late])));
  } finally {
    clearTimeout(timer);
  }
}
