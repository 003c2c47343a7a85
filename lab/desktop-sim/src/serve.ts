import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  DESKTOP_COMMANDS,
  DesktopCommandLine,
  type DesktopCommandName,
  isDesktopCommandName,
  ProtocolError,
  parseOrThrow,
} from '@multiclaw-lab/protocol';
import type { DesktopApp } from './app.ts';
import { COMMANDS } from './commands.ts';
import { errorView } from './error-view.ts';

const MAX_LINE_CHARS = 1024 * 1024;

export interface ServeOptions {
  /**
   * Tests only: check every result against its schema in the protocol's command table, as the
   * harness will receive it (after JSON), and answer a mismatch as a failure. The simulator's own
   * tests thus catch a result schema that does not describe what a command really returns.
   */
  checkResults?: boolean;
}

/**
 * Serve mode: the harness drives the app out of band, JSON lines in on stdin, JSON log lines out
 * on stdout (no socket is opened for this). Each command is answered by one line
 * `{"event":"result","id":...,"ok":true,"result":...}` or `{"event":"result","id":...,"ok":false,"error":{code,message}}`;
 * events (real-time, sign-out, updates) appear as their own log lines in between. Commands run
 * concurrently and are matched to their answers by `id`. Resolves when stdin ends or on `shutdown`.
 */
export async function serveCommands(app: DesktopApp, input: Readable, options: ServeOptions = {}): Promise<void> {
  const { logger } = app;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const pending = new Set<Promise<void>>();
  for await (const text of lines) {
    if (text.trim() === '') continue;
    let id: string | number | null = null;
    let cmd: string | undefined;
    try {
      if (text.length > MAX_LINE_CHARS) {
        throw new ProtocolError('payload_too_large', `command line longer than ${MAX_LINE_CHARS} characters`);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ProtocolError('bad_request', 'each line must be a JSON object {"id", "cmd", "args"}; this one is not JSON');
      }
      const line = parseOrThrow(DesktopCommandLine, json);
      id = line.id;
      cmd = line.cmd;
      if (cmd === 'shutdown') {
        logger.info({ event: 'result', id, cmd, ok: true, result: {} }, 'shutting down');
        break;
      }
      if (!isDesktopCommandName(cmd)) {
        throw new ProtocolError('bad_request', `unknown command "${cmd}"; known: ${Object.keys(COMMANDS).join(', ')}, shutdown`);
      }
      const name = cmd;
      const args = parseOrThrow(DESKTOP_COMMANDS[name].args, line.args ?? {});
      const run = COMMANDS[name] as (app: DesktopApp, args: unknown) => Promise<unknown>;
      const running = run(app, args)
        .then((result) => (options.checkResults ? checkResult(name, result) : result))
        .then(
          (result) => logger.info({ event: 'result', id, cmd, ok: true, result: result ?? {} }, `${cmd} done`),
          (err) => logger.warn({ event: 'result', id, cmd, ok: false, error: errorView(err) }, `${cmd} failed`),
        );
      pending.add(running);
      void running.finally(() => pending.delete(running));
    } catch (err) {
      logger.warn({ event: 'result', id, cmd, ok: false, error: errorView(err) }, 'command refused');
    }
  }
  await Promise.allSettled(pending);
}

/** The result as it goes over the wire (JSON drops undefined fields), checked against the table. */
export function checkResult(name: DesktopCommandName, result: unknown): unknown {
  const sent = JSON.parse(JSON.stringify(result ?? {})) as unknown;
  const parsed = DESKTOP_COMMANDS[name].result.safeParse(sent);
  if (parsed.success) return result;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  throw new ProtocolError('internal', `the result of ${name} does not match its schema in the command table: ${summary}`, {
    issues,
  });
}
