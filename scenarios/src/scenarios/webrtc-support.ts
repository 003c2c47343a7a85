import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { DesktopDriver, Lab } from '@multiclaw-lab/core';
import { syntheticJpeg } from '@multiclaw-lab/gateway';
import { type AllocateOptions, type AllocateResult, TURN_PROBE, type TurnEvent, TurnLogParser } from '@multiclaw-lab/infra';
import { addressOf, type Fault } from '@multiclaw-lab/network';
import type { DesktopCommandResult } from '@multiclaw-lab/protocol';
import type { Account, ScenarioContext } from '../context.ts';

/** The cloud desktop every WebRTC scenario views, and the host its daemon runs on. */
export const DAEMON_HOST = 'cd1';

/** What the desktop simulator's `viewDesktop` command answers. */
export type ViewResult = DesktopCommandResult<'viewDesktop'>;

/** The lab workspace's owner (the cloud desktop belongs to that workspace) as a scenario account. */
export function labOwner(lab: Lab): Account {
  const owner = lab.accounts[0];
  assert.ok(owner, 'the lab has no demo accounts');
  return { id: owner.userId, email: owner.email, password: owner.password, bearer: owner.bearer };
}

export function cloudDesktopId(lab: Lab): string {
  const id = lab.instances.get(DAEMON_HOST);
  assert.ok(id, `the lab has no cloud desktop on ${DAEMON_HOST}`);
  return id;
}

/** Views the lab's cloud desktop from `desktop` until `frames` frames arrived (then closes). */
export function view(
  lab: Lab,
  desktop: DesktopDriver,
  mode: 'auto' | 'turn-relay',
  options: { frames?: number; timeoutMs?: number; directTimeoutMs?: number } = {},
): Promise<ViewResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const frames = options.frames ?? 30;
  // the command waits for the connection and then for the frames, each within timeoutMs
  return desktop.call(
    'viewDesktop',
    {
      instanceId: cloudDesktopId(lab),
      mode,
      frames,
      timeoutMs,
      ...(options.directTimeoutMs ? { directTimeoutMs: options.directTimeoutMs } : {}),
    },
    2 * timeoutMs + 30_000,
  );
}

/** sha256 of frames 0…n-1 as the lab's cloud desktops send them. */
export function expectedFrameHashes(lab: Lab, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    createHash('sha256')
      .update(syntheticJpeg(lab.screenCanary, i, lab.screen.frameBytes))
      .digest('hex'),
  );
}

/** Every frame the viewer got is the desktop's frame, byte for byte, in order, none missing. */
export function assertFramesIdentical(lab: Lab, result: ViewResult): void {
  assert.ok(result.sha256.length > 0, 'the viewer received no frame');
  const expected = expectedFrameHashes(lab, result.sha256.length);
  const differing = result.sha256.map((h, i) => (h === expected[i] ? -1 : i)).filter((i) => i >= 0);
  assert.deepEqual(differing, [], `frames that are not byte-identical to what the desktop sent: ${differing.join(', ')}`);
}

/**
 * Connect time, frame rate, throughput and loss of one viewing session, as report metrics. Loss
 * is the share of the desktop's frame rate that did not arrive while the viewer waited (the
 * DataChannel is reliable and ordered, so a missing frame shows as a lower rate, not a gap).
 */
export function viewMetrics(ctx: ScenarioContext, label: string, result: ViewResult): void {
  const fps = result.framesPerSecond ?? 0;
  const frameBytes = result.frames > 0 ? result.bytes / result.frames : 0;
  const sentFps = ctx.lab.screen.framesPerSecond;
  ctx.metric(`${label}: connect time (offer to open DataChannel)`, result.connectMs, 'ms');
  ctx.metric(`${label}: frames per second received`, fps, 'frames/s');
  ctx.metric(`${label}: throughput`, Math.round(((fps * frameBytes * 8) / 1e6) * 100) / 100, 'Mbit/s');
  ctx.metric(
    `${label}: loss against the desktop's ${sentFps} frames/s`,
    Math.max(0, Math.round((1 - fps / sentFps) * 1000) / 10),
    '%',
  );
}

/** coturn's log since `since` (harness clock), as events. */
export function turnEvents(lab: Lab, since: number): TurnEvent[] {
  const parser = new TurnLogParser();
  const events: TurnEvent[] = [];
  for (const service of lab.history.filter((s) => s.def.id === 'coturn'))
    for (const line of service.handle.lines) {
      const event = parser.parse(line.text);
      if (event && line.receivedAt >= since) events.push(event);
    }
  return events;
}

/** The username part of a coturn time-limited credential ("<expiry>:<subject>"). */
export function turnSubject(username: string): string {
  return username.slice(username.indexOf(':') + 1);
}

/**
 * Drops every UDP packet at `site`'s router, proven both ways: UDP from `host` reaches the relay
 * before, and no longer does after (a UDP echo on the relay, on one of the harness's probe ports).
 * Returns the fault (to heal) and the probe (to prove the heal).
 */
export async function blockSiteUdp(
  ctx: ScenarioContext,
  host: string,
  site: string,
  probePort: number,
): Promise<{ fault: Fault; udpToRelay: () => Promise<boolean> }> {
  const { lab } = ctx;
  const relayAddress = addressOf(lab.topology, 'relay');
  const echo = await lab.driver.startUdpEcho('relay', probePort);
  ctx.onCleanup(() => echo.stop());
  const udpToRelay = async () => (await lab.driver.probeUdp(host, relayAddress, probePort, { timeoutMs: 1_500 })).ok;
  await ctx.step('before the fault, UDP from the site reaches the relay', async () => {
    assert.equal(await udpToRelay(), true, 'UDP to the relay fails even without the fault');
  });
  const fault = await ctx.fault(lab.driver.blockUdp({ site }));
  await ctx.step('the fault took effect: every UDP packet from the site is dropped', async () => {
    assert.equal(await udpToRelay(), false, 'UDP still leaves the site');
  });
  return { fault, udpToRelay };
}

/**
 * Waits for a coturn event since `since`: coturn answers its client before the harness has read
 * the log line that goes with it, so a check right after the answer must wait for the line.
 */
export async function waitForTurnEvent(
  lab: Lab,
  since: number,
  match: (e: TurnEvent) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<TurnEvent> {
  const found = () => turnEvents(lab, since).find(match);
  const seen = found();
  if (seen) return seen;
  await lab
    .service('coturn')
    .handle.waitForLine((l) => l.receivedAt >= since && found() !== undefined, timeoutMs, what)
    .catch(() => {
      throw new Error(`coturn logged no ${what} within ${timeoutMs} ms`);
    });
  return found()!;
}

/**
 * A TURN Allocate (and, if asked, CreatePermissions) made from inside `host`, where a client of
 * the relay would make it: what coturn answered.
 */
export async function turnProbe(lab: Lab, host: string, options: AllocateOptions): Promise<AllocateResult> {
  const r = await lab.exec(host, [process.execPath, TURN_PROBE, JSON.stringify(options)]);
  assert.equal(r.code, 0, `the TURN probe failed to run on ${host}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as AllocateResult;
}
