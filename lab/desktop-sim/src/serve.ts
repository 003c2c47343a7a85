import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ProtocolError, parseOrThrow } from '@multiclaw-lab/protocol';
import { z } from 'zod';
import type { DesktopApp } from './app.ts';
import { COMMANDS, isCommandName } from './commands.ts';
import { errorView } from './error-view.ts';

/** One stdin line: `{"id": "1", "cmd": "signIn", "args": {...}}`. */
const CommandLine = z.object({
  id: z.union([z.string().max(200), z.number()]),
  cmd: z.string().max(100),
  args: z.unknown().optional(),
});

const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Serve mode: the harness drives the app out of band, JSON lines in on stdin, JSON log lines out
 * on stdout (no socket is opened for this). Each command is answered by one line
 * `{"event":"result","id":...,"ok":true,"result":...}` or `{"event":"result","id":...,"ok":false,"error":{code,message}}`;
 * events (real-time, sign-out, updates) appear as their own log lines in between. Commands run
 * concurrently and are matched to their answers by `id`. Resolves when stdin ends or on `shutdown`.
 */
export async function serveCommands(app: DesktopApp, input: Readable): Promise<void> {
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
      const line = parseOrThrow(CommandLine, json);
      id = line.id;
      cmd = line.cmd;
      if (cmd === 'shutdown') {
        logger.info({ event: 'result', id, cmd, ok: true, result: {} }, 'shutting down');
        break;
      }
      if (!isCommandName(cmd)) {
        throw new ProtocolError('bad_request', `unknown command "${cmd}"; known: ${Object.keys(COMMANDS).join(', ')}, shutdown`);
      }
      const command = COMMANDS[cmd];
      const args = parseOrThrow(command.args, line.args ?? {});
      const running = (command.run as (app: DesktopApp, args: unknown) => Promise<unknown>)(app, args).then(
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
