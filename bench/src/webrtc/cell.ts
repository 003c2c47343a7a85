import { setTimeout as sleep } from 'node:timers/promises';
import type { DesktopApp } from '@multiclaw-lab/desktop-sim';
import type { CoturnHandle } from '@multiclaw-lab/infra';
import { procCpuSeconds } from '../proc-cpu.ts';
import type { BenchStreamer, StreamerCounters } from './streamer-child.ts';

type ViewSession = Awaited<ReturnType<DesktopApp['viewCloudDesktop']>>;

export interface CellInput {
  viewers: DesktopApp[];
  instanceId: string;
  viewerMode: 'auto' | 'turn-relay';
  streamer: BenchStreamer;
  coturn: CoturnHandle;
  /** sha256 of frame n as the streamer sends it, for the correctness check */
  frameHash: (n: number) => string;
  warmupMs: number;
  windowMs: number;
  connectTimeoutMs: number;
}

export interface CellResult {
  viewers: number;
  connected: number;
  failures: string[];
  /** the viewer's side → the desktop's side of each selected pair, counted ("host→host": 4) */
  pairs: Record<string, number>;
  connectMs: number[];
  firstFrameMs: number[];
  windowSeconds: number;
  /** frames each viewer received in the window */
  framesPerViewer: number[];
  bytesReceived: number;
  streamer: StreamerCounters;
  /** coturn allocations logged while the cell ran (viewers' or the streamer's) */
  allocations: number;
  /** CPU seconds used during the window */
  cpuSeconds: { coturn: number; streamer: number; viewers: number };
  /** every frame received in the whole cell matched the streamer's bytes (sha256) */
  framesIntact: boolean;
}

/**
 * One measurement: `viewers` open their sessions at once, streaming settles for `warmupMs`, then
 * everything is counted over `windowMs`: frames and bytes at each viewer, frames the streamer
 * sent and skipped, CPU of coturn, the streamer process and this (viewer) process. The sessions
 * are closed, and the cell ends only when the daemon has ended all of them.
 */
export async function runCell(input: CellInput): Promise<CellResult> {
  const allocationsBefore = input.coturn.events.filter((e) => e.event === 'turn.allocation').length;
  const attempts = await Promise.allSettled(
    input.viewers.map((app) =>
      app.viewCloudDesktop(input.instanceId, { mode: input.viewerMode, timeoutMs: input.connectTimeoutMs }),
    ),
  );
  const sessions = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  const failures = attempts.flatMap((a) => (a.status === 'rejected' ? [String((a.reason as Error).message)] : []));
  try {
    await sleep(input.warmupMs);
    const before = await snapshot(input, sessions);
    await sleep(input.windowMs);
    const after = await snapshot(input, sessions);
    const windowSeconds = (after.at - before.at) / 1000;

    const pairs: Record<string, number> = {};
    for (const s of sessions) {
      const key = `${s.pair?.local ?? '?'}${s.pair?.relayTransport ? `/${s.pair.relayTransport}` : ''}→${s.pair?.remote ?? '?'}`;
      pairs[key] = (pairs[key] ?? 0) + 1;
    }
    return {
      viewers: input.viewers.length,
      connected: sessions.length,
      failures,
      pairs,
      connectMs: sessions.map((s) => s.connectMs),
      firstFrameMs: sessions.flatMap((s) => (s.frames.firstFrameMs === undefined ? [] : [s.frames.firstFrameMs])),
      windowSeconds,
      framesPerViewer: sessions.map((_, i) => after.frames[i]! - before.frames[i]!),
      bytesReceived: after.bytes - before.bytes,
      streamer: {
        framesSent: after.streamer.framesSent - before.streamer.framesSent,
        framesSkipped: after.streamer.framesSkipped - before.streamer.framesSkipped,
        bytesSent: after.streamer.bytesSent - before.streamer.bytesSent,
      },
      allocations: input.coturn.events.filter((e) => e.event === 'turn.allocation').length - allocationsBefore,
      cpuSeconds: {
        coturn: after.cpu.coturn - before.cpu.coturn,
        streamer: after.cpu.streamer - before.cpu.streamer,
        viewers: after.cpu.viewers - before.cpu.viewers,
      },
      // frames arrive in order and are numbered from 0 per session: the i-th hash is frame i
      framesIntact: sessions.every((s) => s.frames.sha256.every((h, n) => h === input.frameHash(n))),
    };
  } finally {
    await Promise.allSettled(sessions.map((s) => s.close('bench cell done')));
    await input.streamer.sessionsClosed(
      sessions.map((s) => s.sessionId),
      15_000,
    );
  }
}

/** Opens one session, waits for a few frames and closes it: the JIT and TLS caches are warm after. */
export async function warmUp(viewer: DesktopApp, instanceId: string, mode: 'auto' | 'turn-relay', streamer: BenchStreamer) {
  const session = await viewer.viewCloudDesktop(instanceId, { mode, timeoutMs: 20_000 });
  try {
    await session.waitForFrames(10, 10_000);
  } finally {
    await session.close('bench warm-up done');
    await streamer.sessionsClosed([session.sessionId], 15_000);
  }
}

async function snapshot(input: CellInput, sessions: ViewSession[]) {
  // the counters first, as close together as they can be read
  const at = performance.now();
  const frames = sessions.map((s) => s.frames.count);
  const bytes = sessions.reduce((sum, s) => sum + s.frames.bytes, 0);
  const viewers = process.cpuUsage();
  const [streamer, coturnCpu, streamerCpu] = await Promise.all([
    input.streamer.counters(),
    procCpuSeconds(input.coturn.pid),
    procCpuSeconds(input.streamer.pid),
  ]);
  return {
    at,
    frames,
    bytes,
    streamer,
    cpu: { coturn: coturnCpu, streamer: streamerCpu, viewers: (viewers.user + viewers.system) / 1e6 },
  };
}
