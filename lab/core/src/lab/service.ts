/**
 * A service of the lab as data: which host it runs in, what to run, with what environment, and
 * how to tell it is ready. The Lab starts, restarts and stops services from these definitions;
 * what a service is lives here, how it runs lives in the driver.
 */
import { createWriteStream } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { type LogLine, launch, type ProcessHandle, readyEvent } from '@multiclaw-lab/kit';
import { type HostProcesses, SERVICE_OPEN_FILES } from '@multiclaw-lab/network';
import type { HealthCheck } from './health.ts';

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
  | 'bridge'
  /** a load balancer in front of several instances of a service (HAProxy before the cloud's) */
  | 'lb';

export interface ServiceDef {
  id: string;
  kind: ServiceKind;
  /**
   * The name several instances of one service answer to together (every cloud instance:
   * `cloud`): a log lookup by that name covers all of them (`answersTo`).
   */
  group?: string;
  host: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  user?: string;
  /** a line that means ready; default: a JSON line with event 'ready' */
  ready?: (line: LogLine) => boolean;
  readyTimeoutMs?: number;
  /** how the lab asks it whether it works (see health.ts) */
  health: HealthCheck;
  /** the signal that stops it cleanly and promptly (default SIGTERM; PostgreSQL: SIGINT, its fast shutdown) */
  stopSignal?: NodeJS.Signals;
  /**
   * A custom starter for services with their own start logic (third-party services from
   * lab/infra): it returns a ready ProcessHandle; command/args/env above are then descriptive.
   */
  start?: () => Promise<ProcessHandle>;
  /**
   * Set for a service the lab does not run but only follows (a deployed stack's own service,
   * whose log the handle streams): why it cannot be stopped, restarted or paused from here.
   */
  external?: string;
}

/** Does a service answer to `name`: its own id, or the group it is an instance of? */
export function answersTo(def: Pick<ServiceDef, 'id' | 'group'>, name: string): boolean {
  return def.id === name || def.group === name;
}

export interface RunningService {
  def: ServiceDef;
  handle: ProcessHandle;
  logFile: string;
  /** spawn to ready, in milliseconds */
  startMs: number;
}

export interface RunOptions {
  /**
   * Start at this CPU niceness and go back to normal once ready: when many processes start at
   * once on few cores, those nothing waits for yet leave the CPU to those something waits on.
   */
  startNiceness?: number;
}

export async function runService(
  driver: Pick<HostProcesses, 'spawn'>,
  def: ServiceDef,
  logsDir: string,
  options: RunOptions = {},
): Promise<RunningService> {
  const started = performance.now();
  const logFile = join(logsDir, `${def.id}.log`);
  const nice = (pid: number | undefined, niceness: number) => {
    if (options.startNiceness === undefined || pid === undefined) return;
    try {
      setPriority(pid, niceness);
    } catch {
      // gone already, or not ours to change: it only ever costs speed
    }
  };
  const handle = def.start
    ? await def.start()
    : await launch({
        name: def.id,
        spawn: () =>
          driver.spawn(def.host, def.command, def.args, {
            env: def.env,
            ...(def.user ? { user: def.user } : {}),
            // thousands of sessions need thousands of descriptors in the cloud, HAProxy, PostgreSQL
            openFiles: SERVICE_OPEN_FILES,
          }),
        ready: def.ready ?? readyEvent,
        readyTimeoutMs: def.readyTimeoutMs ?? 30_000,
        // the log file gets every line, also those of a start that fails
        onStart: (h) => {
          nice(h.child.pid, options.startNiceness ?? 0);
          tee(h, def, logFile);
        },
      });
  if (def.start) tee(handle, def, logFile);
  else nice(handle.child.pid, 0);
  return { def, handle, logFile, startMs: Math.round(performance.now() - started) };
}

/**
 * One line of a service's log file: the components already write JSON lines and are kept as
 * they are; a third-party program's plain text (PostgreSQL, coturn) is wrapped as a JSON line
 * with the service, the stream and the time the harness read it, so every log is structured.
 */
export function structuredLine(service: string, line: LogLine): string {
  if (line.json) return line.text;
  return JSON.stringify({ time: new Date(line.receivedAt).toISOString(), service, stream: line.stream, msg: line.text });
}

/** Copies a service's output, as it comes, into its log file in the state folder (JSON lines). */
function tee(handle: ProcessHandle, def: ServiceDef, logFile: string): void {
  const log = createWriteStream(logFile, { flags: 'a' });
  const write = (text: string) => {
    if (!log.writableEnded) log.write(`${text}\n`);
  };
  for (const line of handle.lines) write(structuredLine(def.id, line));
  handle.on('line', (line: LogLine) => write(structuredLine(def.id, line)));
  handle.child.once('close', (code, signal) => {
    write(JSON.stringify({ event: 'lab.process_exited', service: def.id, code, signal, time: new Date().toISOString() }));
    log.end();
  });
}
