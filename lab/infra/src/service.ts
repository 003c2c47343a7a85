/**
 * A started third-party process: kit's ProcessHandle (pid, collected log lines, stop by PID)
 * plus the events parsed from its output. Each service decides what "ready" means.
 */
import { type LogLine, launch, type ProcessHandle, ReadyTimeoutError } from '@multiclaw-lab/kit';
import type { HostRunner } from './runner.ts';

export interface StartServiceOptions {
  runner: HostRunner;
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  user?: string;
  /** the line that says the service accepts connections */
  isReady: (line: LogLine) => boolean;
  readyTimeoutMs?: number;
}

export class ServiceProcess implements AsyncDisposable {
  readonly process: ProcessHandle;
  constructor(process: ProcessHandle) {
    this.process = process;
  }

  get pid(): number {
    return this.process.pid;
  }
  get running(): boolean {
    return this.process.running;
  }
  /** every output line so far, as text */
  logs(): string[] {
    return this.process.lines.map((l) => l.text);
  }
  stop(graceMs?: number): Promise<void> {
    return this.process.stop(graceMs);
  }
  close(): Promise<void> {
    return this.stop();
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export function startService(options: StartServiceOptions): Promise<ProcessHandle> {
  return launch({
    name: options.name,
    spawn: () =>
      options.runner.spawn(options.command, options.args, {
        env: options.env,
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.user ? { user: options.user } : {}),
      }),
    ready: options.isReady,
    readyTimeoutMs: options.readyTimeoutMs ?? 20_000,
  });
}

/** Resolves with the first value `pick` returns for a line (seen or future), like waitForLine. */
export async function waitForParsed<T>(
  handle: ProcessHandle,
  pick: (line: LogLine) => T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const line = await handle.waitForLine((l) => pick(l) !== undefined, timeoutMs);
  return pick(line)!;
}

export { ReadyTimeoutError };
