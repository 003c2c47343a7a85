/**
 * Starts a component as a real child process and follows its JSON log lines. Ready means the
 * process logged `{"event":"ready", ...}`; the fields of that line are handed back (ports, URLs).
 * Children are ended by PID when the handle is disposed, and also if this process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ProcessExitedError, ReadyTimeoutError } from './errors.ts';

export interface StartProcessOptions {
  name: string;
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** how long to wait for the ready line */
  readyTimeoutMs?: number;
  /** set to false for processes that never log a ready line (wait for exit instead) */
  waitForReady?: boolean;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** the parsed line, when it was a JSON object */
  json: Record<string, unknown> | undefined;
  /**
   * when the harness read the line (ms since the epoch, harness clock): timelines order by this,
   * because a process's own timestamps follow its (possibly moved) clock
   */
  receivedAt: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class ProcessHandle extends EventEmitter<{ line: [LogLine]; exit: [number | null, NodeJS.Signals | null] }> {
  readonly name: string;
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  ready: Record<string, unknown> = {};
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #exited: Promise<void>;

  constructor(name: string, child: ChildProcess) {
    super();
    this.name = name;
    this.child = child;
    live.add(child);
    for (const stream of ['stdout', 'stderr'] as const) {
      const rl = createInterface({ input: child[stream]! });
      rl.on('line', (text) => {
        let json: Record<string, unknown> | undefined;
        if (text.startsWith('{')) {
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
        }
        const line: LogLine = { stream, text, json, receivedAt: Date.now() };
        this.lines.push(line);
        this.emit('line', line);
      });
    }
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitCode = code;
        this.signalCode = signal;
        this.emit('exit', code, signal);
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === null && this.signalCode === null;
  }

  tail(n = 20): string {
    return this.lines
      .slice(-n)
      .map((l) => l.text)
      .join('\n');
  }

  /** Resolves with the first line (already seen or future) that matches; `waitingFor` names it in the timeout error. */
  async waitForLine(match: (line: LogLine) => boolean, timeoutMs = 30_000, waitingFor?: string): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return seen;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new ReadyTimeoutError(this.name, timeoutMs, this.tail(), waitingFor));
      }, timeoutMs);
      const onLine = (line: LogLine) => {
        if (match(line)) {
          cleanup();
          resolve(line);
        }
      };
      const onExit = () => {
        cleanup();
        reject(new ProcessExitedError(this.name, this.exitCode, this.signalCode, this.tail()));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('exit', onExit);
      };
      this.on('line', onLine);
      this.on('exit', onExit);
    });
  }

  /** Resolves with the first JSON line whose fields include all of `fields`. */
  waitForLog(fields: Record<string, unknown>, timeoutMs?: number): Promise<LogLine> {
    return this.waitForLine(
      (l) => l.json !== undefined && Object.entries(fields).every(([k, v]) => l.json![k] === v),
      timeoutMs,
      `log line ${JSON.stringify(fields)}`,
    );
  }

  /**
   * Copies every output line (those already read, then each as it comes) into `file`; after the
   * last one, `closingLine` (if given) is written and the file is closed. 'close' is used, not
   * 'exit': a process's last output can arrive after its exit. Resolves when the file is closed.
   */
  logTo(file: string, closingLine?: (code: number | null, signal: NodeJS.Signals | null) => string): Promise<void> {
    const log = createWriteStream(file, { flags: 'a' });
    const write = (text: string) => {
      if (!log.writableEnded) log.write(`${text}\n`);
    };
    for (const line of this.lines) write(line.text);
    this.on('line', (line) => write(line.text));
    this.child.once('close', (code, signal) => {
      if (closingLine) write(closingLine(code, signal));
      log.end();
    });
    return new Promise((resolve) => log.once('close', () => resolve()));
  }

  jsonLines(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => (l.json ? [l.json] : []));
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await this.#exited;
    return { code: this.exitCode, signal: this.signalCode };
  }

  /** `signal` (SIGTERM), then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** Is this line the one that says a process is ready? */
export type ReadyLine = (line: LogLine) => boolean;

/** The default readiness: the process logged `{"event":"ready", ...}`. */
export const readyEvent: ReadyLine = (line) => line.json?.event === 'ready';

export interface LaunchOptions {
  name: string;
  /** starts the child: here, inside a lab host, as another user... (stdio must be piped) */
  spawn: () => ChildProcess;
  /** default: readyEvent; false: do not wait (a process that never says it is ready) */
  ready?: ReadyLine | false;
  readyTimeoutMs?: number;
  /** called with the handle before waiting, so output is recorded from the first line */
  onStart?: (handle: ProcessHandle) => void;
}

/**
 * The one way a process is started and waited for, wherever it runs: spawn, fail at once if it
 * cannot be spawned, wait for its ready line (whose JSON fields become `handle.ready`), and stop
 * it again when it is not ready in time, so a failed start leaves nothing running.
 */
export async function launch(options: LaunchOptions): Promise<ProcessHandle> {
  const child = options.spawn();
  const handle = new ProcessHandle(options.name, child);
  options.onStart?.(handle);
  const spawned = once(child, 'spawn').then(() => undefined);
  const failed = once(child, 'error').then(([err]) => {
    throw err;
  });
  await Promise.race([spawned, failed]);
  if (options.ready === false) return handle;
  try {
    const line = await handle.waitForLine(options.ready ?? readyEvent, options.readyTimeoutMs ?? 30_000);
    handle.ready = line.json ?? {};
  } catch (err) {
    await handle.stop(1_000);
    throw err;
  }
  return handle;
}

/** Starts a process on this machine (no lab host) and waits for its ready line. */
export function startProcess(options: StartProcessOptions): Promise<ProcessHandle> {
  return launch({
    name: options.name,
    spawn: () =>
      spawn(options.command, options.args ?? [], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    ...(options.waitForReady === false ? { ready: false as const } : {}),
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
  });
}

/** Environment for a Node child: this Node, no inherited trust-store or proxy surprises. */
export function cleanChildEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'LANG', 'TZ', 'TMPDIR', 'LOG_LEVEL']) {
    if (process.env[key] !== undefined) env[key] = process.env[key];
  }
  return { ...env, ...extra };
}
