import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoopbackStack } from '@multiclaw-lab/core';
import { cleanChildEnv, type ProcessHandle, startProcess } from '@multiclaw-lab/kit';

/** How the streamer reaches coturn in one bench mode (see streamer-process.ts). */
export interface StreamerIce {
  turn: 'none' | 'udp' | 'tcp' | 'tls';
  relayOnly: boolean;
}

export interface StreamerCounters {
  framesSent: number;
  framesSkipped: number;
  bytesSent: number;
}

export interface BenchStreamer extends AsyncDisposable {
  process: ProcessHandle;
  pid: number;
  counters(): Promise<StreamerCounters>;
  /** resolves once the daemon logged the end of every one of these sessions */
  sessionsClosed(sessionIds: string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./streamer-process.ts', import.meta.url));

/** Starts streamer-process.ts as a provisioned daemon of `instanceId`; resolves once the cloud welcomed it. */
export async function startBenchStreamer(
  stack: LoopbackStack,
  options: {
    name: string;
    workspaceId: string;
    instanceId: string;
    instanceToken: string;
    ice: StreamerIce;
    framesPerSecond: number;
    canary: string;
    frameBytes: number;
    maxSessions: number;
  },
): Promise<BenchStreamer> {
  const home = join(stack.dir, 'hosts', options.name, 'home');
  await mkdir(home, { recursive: true });
  const child = await startProcess({
    name: options.name,
    command: process.execPath,
    args: [ENTRY],
    env: cleanChildEnv({
      ...stack.clientEnv({ HOME: home }),
      BENCH_CLOUD_URL: stack.cloudUrl,
      BENCH_WORKSPACE_ID: options.workspaceId,
      BENCH_INSTANCE_ID: options.instanceId,
      BENCH_INSTANCE_TOKEN: options.instanceToken,
      BENCH_TURN: options.ice.turn,
      BENCH_RELAY_ONLY: options.ice.relayOnly ? '1' : '0',
      BENCH_FPS: String(options.framesPerSecond),
      BENCH_CANARY: options.canary,
      BENCH_FRAME_BYTES: String(options.frameBytes),
      BENCH_MAX_SESSIONS: String(options.maxSessions),
      LOG_LEVEL: 'info',
    }),
  });
  void child.logTo(join(stack.dir, 'logs', `${options.name}.jsonl`));
  await child.waitForLog({ event: 'ws.welcome' }, 20_000);
  let probe = 0;
  const counters = async (): Promise<StreamerCounters> => {
    const id = ++probe;
    const answer = child.waitForLog({ event: 'bench.stats', id }, 10_000);
    child.child.stdin!.write(`${JSON.stringify({ id })}\n`);
    const json = (await answer).json!;
    return { framesSent: Number(json.framesSent), framesSkipped: Number(json.framesSkipped), bytesSent: Number(json.bytesSent) };
  };
  const sessionsClosed = async (sessionIds: string[], timeoutMs: number) => {
    await Promise.all(sessionIds.map((sessionId) => child.waitForLog({ event: 'rtc.session.closed', sessionId }, timeoutMs)));
  };
  const close = () => child.stop(5_000);
  return { process: child, pid: child.pid, counters, sessionsClosed, close, [Symbol.asyncDispose]: close };
}
