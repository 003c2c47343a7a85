import { join } from 'node:path';
import { type LogLine, ProcessHandle } from '@multiclaw-lab/kit';
import type { LabDriver } from '@multiclaw-lab/network';

/**
 * A service of the lab as data: which host it runs in, what to run, with what environment, and
 * how to tell it is ready. The Lab starts, restarts and stops services from these definitions;
 * what a service is lives here, how it runs lives in the driver.
 */
export type ServiceKind =
  | 'postgres'
  | 'cloud'
  | 'llm'
  | 'cdn'
  | 'coturn'
  | 'toxiproxy'
  | 'mitmproxy'
  | 'squid'
  | 'gateway'
  | 'daemon'
  | 'desktop-sim'
  | 'bridge';

export interface ServiceDef {
  id: string;
  kind: ServiceKind;
  host: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  user?: string;
  /** a line that means ready; default: a JSON line with event 'ready' */
  ready?: (line: LogLine) => boolean;
  readyTimeoutMs?: number;
  /** the signal that stops it cleanly and promptly (default SIGTERM; PostgreSQL: SIGINT, its fast shutdown) */
  stopSignal?: NodeJS.Signals;
  /**
   * A custom starter for services with their own start logic (third-party services from
   * lab/infra): it returns a ready ProcessHandle; command/args/env above are then descriptive.
   */
  start?: () => Promise<ProcessHandle>;
}

export interface RunningService {
  def: ServiceDef;
  handle: ProcessHandle;
  logFile: string;
  /** spawn to ready, in milliseconds */
  startMs: number;
}

const isReadyEvent = (line: LogLine) => line.json?.event === 'ready';

export async function runService(driver: LabDriver, def: ServiceDef, logsDir: string): Promise<RunningService> {
  const started = performance.now();
  const logFile = join(logsDir, `${def.id}.log`);
  if (def.start) {
    const handle = await def.start();
    tee(handle, def, logFile);
    return { def, handle, logFile, startMs: Math.round(performance.now() - started) };
  }
  const child = driver.spawn(def.host, def.command, def.args, { env: def.env, ...(def.user ? { user: def.user } : {}) });
  const handle = new ProcessHandle(def.id, child);
  tee(handle, def, logFile);
  try {
    const line = await handle.waitForLine(def.ready ?? isReadyEvent, def.readyTimeoutMs ?? 30_000);
    handle.ready = line.json ?? {};
  } catch (err) {
    await handle.stop(2_000);
    throw err;
  }
  return { def, handle, logFile, startMs: Math.round(performance.now() - started) };
}

/** Copies a service's output, as it comes, into its log file in the state folder. */
function tee(handle: ProcessHandle, def: ServiceDef, logFile: string): void {
  void handle.logTo(logFile, (code, signal) =>
    JSON.stringify({ event: 'lab.process_exited', service: def.id, code, signal, time: new Date().toISOString() }),
  );
}
