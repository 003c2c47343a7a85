/**
 * Drives a desktop simulator running in `serve` mode: one JSON command per stdin line, answered
 * by a `{"event":"result","id":...}` log line on its stdout. Nothing here opens a socket: the
 * harness talks to the app out of band, as a person clicking in its window would. The commands,
 * their arguments and their results are lab/protocol's DESKTOP_COMMANDS table.
 */
import { LabError, type LogLine, type ProcessHandle } from '@multiclaw-lab/kit';
import {
  DESKTOP_COMMANDS,
  type DesktopCommandArgs,
  type DesktopCommandName,
  type DesktopCommandResult,
  DesktopResultLine,
} from '@multiclaw-lab/protocol';

export class DesktopCommandError extends LabError {
  readonly remoteCode: string;
  constructor(cmd: string, remoteCode: string, message: string) {
    super('LAB_DESKTOP_COMMAND_FAILED', `desktop command ${cmd} failed: ${remoteCode}: ${message}`);
    this.remoteCode = remoteCode;
  }
}

/** A desktop command answered with a result its schema in the command table does not accept. */
export class DesktopResultError extends LabError {
  constructor(cmd: string, problem: string) {
    super('LAB_DESKTOP_BAD_RESULT', `desktop command ${cmd} answered outside its schema: ${problem}`, {
      hint: 'lab/protocol/src/desktop-commands.ts and lab/desktop-sim/src/commands.ts disagree',
    });
  }
}

/** A command's `args` and the timeout; `args` may be left out when the command needs none. */
export type DesktopCallArgs<K extends DesktopCommandName> =
  Record<never, never> extends DesktopCommandArgs<K>
    ? [args?: DesktopCommandArgs<K>, timeoutMs?: number]
    : [args: DesktopCommandArgs<K>, timeoutMs?: number];

function describeIssues(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
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

  /**
   * Runs one command of the table and returns its result, checked against the command's result
   * schema; throws DesktopCommandError with the app's error code when the app refuses or fails.
   */
  async call<K extends DesktopCommandName>(cmd: K, ...[args, timeoutMs]: DesktopCallArgs<K>): Promise<DesktopCommandResult<K>> {
    const result = await this.callRaw(cmd, args ?? {}, timeoutMs);
    const parsed = DESKTOP_COMMANDS[cmd].result.safeParse(result);
    if (!parsed.success) throw new DesktopResultError(cmd, describeIssues(parsed.error.issues));
    return parsed.data as DesktopCommandResult<K>;
  }

  /**
   * Sends any command line, unchecked on this side, and returns the raw `result`: for tests of
   * what the app must refuse (an unknown command, arguments outside its schema).
   */
  async callRaw(cmd: string, args: unknown = {}, timeoutMs = 30_000): Promise<unknown> {
    const id = `c${this.#nextId++}`;
    const answer = this.process.waitForLine(
      (l) => l.json?.event === 'result' && l.json.id === id,
      timeoutMs,
      `result for command ${cmd} (${id})`,
    );
    this.process.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
    const line = DesktopResultLine.safeParse((await answer).json);
    if (!line.success) throw new DesktopResultError(cmd, `not a result line: ${describeIssues(line.error.issues)}`);
    if (line.data.ok) return line.data.result;
    throw new DesktopCommandError(cmd, line.data.error.code, line.data.error.message);
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
