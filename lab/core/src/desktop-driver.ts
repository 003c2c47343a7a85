import { LabError, type LogLine, type ProcessHandle } from '@multiclaw-lab/kit';

/**
 * Drives a desktop simulator running in `serve` mode: one JSON command per stdin line, answered
 * by a `{"event":"result","id":...}` log line on its stdout. Nothing here opens a socket: the
 * harness talks to the app out of band, as a person clicking in its window would.
 */
export class DesktopCommandError extends LabError {
  readonly remoteCode: string;
  constructor(cmd: string, remoteCode: string, message: string) {
    super('LAB_DESKTOP_COMMAND_FAILED', `desktop command ${cmd} failed: ${remoteCode}: ${message}`);
    this.remoteCode = remoteCode;
  }
}

export class DesktopDriver implements AsyncDisposable {
  readonly process: ProcessHandle;
  #nextId = 1;

  constructor(process: ProcessHandle) {
    this.process = process;
  }

  get name(): string {
    return this.process.name;
  }

  /** Runs one command and returns its result, or throws DesktopCommandError with the app's error code. */
  async call<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = `c${this.#nextId++}`;
    const answer = this.process.waitForLine(
      (l) => l.json?.event === 'result' && l.json.id === id,
      timeoutMs,
      `result for command ${cmd} (${id})`,
    );
    this.process.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
    const line = (await answer).json!;
    if (line.ok === true) return line.result as T;
    const error = (line.error ?? {}) as { code?: string; message?: string };
    throw new DesktopCommandError(cmd, error.code ?? 'unknown', error.message ?? '(no message)');
  }

  /** Resolves with the next log line (from now on, or already seen after `since`) whose fields match. */
  waitForEvent(fields: Record<string, unknown>, options: { since?: number; timeoutMs?: number } = {}): Promise<LogLine> {
    const since = options.since ?? 0;
    const start = this.process.lines.length;
    const match = (l: LogLine) => l.json !== undefined && Object.entries(fields).every(([k, v]) => l.json![k] === v);
    const seen = this.process.lines.slice(since, start).find(match);
    if (seen) return Promise.resolve(seen);
    return this.process.waitForLine(
      (l) => this.process.lines.indexOf(l) >= start && match(l),
      options.timeoutMs,
      `log line ${JSON.stringify(fields)}`,
    );
  }

  /** A position in the log to wait from ("everything after this point"). */
  mark(): number {
    return this.process.lines.length;
  }

  events(fields: Record<string, unknown>, since = 0): Record<string, unknown>[] {
    return this.process.lines
      .slice(since)
      .flatMap((l) => (l.json && Object.entries(fields).every(([k, v]) => l.json![k] === v) ? [l.json] : []));
  }

  async close(): Promise<void> {
    if (!this.process.running) return;
    this.process.child.stdin!.end();
    await this.process.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
