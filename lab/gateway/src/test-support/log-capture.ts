import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@multiclaw-lab/kit';

/** A real kit logger (same redaction config) whose JSON lines the test can read and await. */
export interface LogCapture {
  logger: Logger;
  lines: Record<string, unknown>[];
  text(): string;
  /** resolves with the first line (already written or future) that has all of `fields` */
  waitFor(fields: Record<string, unknown>, nth?: number): Promise<Record<string, unknown>>;
  count(fields: Record<string, unknown>): number;
}

export function captureLogs(level = 'debug'): LogCapture {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const events = new EventEmitter();
  const destination = new Writable({
    write(chunk, _enc, cb) {
      const text = chunk.toString();
      raw.push(text);
      for (const l of text.split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      events.emit('line');
      cb();
    },
  });
  const matches = (fields: Record<string, unknown>) => (l: Record<string, unknown>) =>
    Object.entries(fields).every(([k, v]) => l[k] === v);
  const capture: LogCapture = {
    logger: createLogger({ service: 'gateway', level, destination }),
    lines,
    text: () => raw.join(''),
    count: (fields) => lines.filter(matches(fields)).length,
    async waitFor(fields, nth = 1) {
      for (;;) {
        const found = lines.filter(matches(fields));
        if (found.length >= nth) return found[nth - 1]!;
        await once(events, 'line');
      }
    },
  };
  return capture;
}
