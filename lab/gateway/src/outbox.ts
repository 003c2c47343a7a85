import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import { type Clock, type Logger, nowIso } from '@multiclaw-lab/kit';
import { TaskStatusFrame } from '@multiclaw-lab/protocol';
import { z } from 'zod';
import { mutant } from './mutant.ts';
import { ensurePrivateDir, syncDir, writeFileAtomic } from './secure-fs.ts';

export type TaskStatus = Omit<TaskStatusFrame, 'type'>;

/** One line of the log: the status plus `n`, its place in the outbox (1, 2, 3, … never reused). */
const LogLine = TaskStatusFrame.omit({ type: true }).extend({ n: z.number().int().positive() });
type LogLine = z.infer<typeof LogLine>;
const Cursor = z.object({ ackedN: z.number().int().nonnegative() });

const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

/**
 * The durable queue of task status updates for the cloud.
 *
 * - `task-status.jsonl` is append-only; a status counts as made once its line is fsynced.
 * - `acked.json` holds `ackedN`: every line with n ≤ ackedN is stored by the cloud.
 * - Exactly one status is in flight at a time, always the oldest unacked one, so the cloud sees
 *   them in order; after a reconnect or restart the oldest unacked one is sent again (the cloud
 *   acknowledges a duplicate without storing it twice, so nothing is doubled).
 */
export class Outbox {
  readonly #log: string;
  readonly #cursorPath: string;
  readonly #logger: Logger;
  #entries: LogLine[];
  #ackedN: number;
  #nextN: number;
  #handle: FileHandle | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #send: ((frame: TaskStatusFrame) => boolean) | undefined;
  #inFlight: number | undefined;
  #closed = false;

  private constructor(log: string, cursorPath: string, logger: Logger, entries: LogLine[], ackedN: number) {
    this.#log = log;
    this.#cursorPath = cursorPath;
    this.#logger = logger;
    this.#entries = entries;
    this.#ackedN = ackedN;
    this.#nextN = Math.max(ackedN, entries.at(-1)?.n ?? 0) + 1;
  }

  static async open(
    paths: { outboxDir: string; outboxLog: string; outboxCursor: string },
    logger: Logger,
    clock: Clock,
  ): Promise<Outbox> {
    await ensurePrivateDir(paths.outboxDir);
    const entries = await readLog(paths.outboxLog, logger);
    const ackedN = await readCursor(paths.outboxCursor, logger);
    const outbox = new Outbox(paths.outboxLog, paths.outboxCursor, logger, entries, ackedN);
    await outbox.#interruptDangling(clock);
    await outbox.#compact();
    outbox.#handle = await open(paths.outboxLog, 'a', 0o600);
    await syncDir(paths.outboxDir);
    return outbox;
  }

  /** Statuses not yet acknowledged by the cloud. */
  pending(): number {
    return this.#entries.filter((e) => e.n > this.#ackedN).length;
  }

  /** Appends a status durably (fsync) and sends it when its turn comes. */
  append(status: TaskStatus): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) throw new Error('outbox is closed');
      const line: LogLine = { n: this.#nextN, ...status };
      if (!mutant('status-updates-in-memory-only')) {
        await this.#handle!.write(`${JSON.stringify(line)}\n`);
        await this.#handle!.datasync();
      }
      this.#nextN += 1;
      this.#entries.push(line);
      this.#logger.debug({ event: 'outbox.appended', taskId: status.taskId, seq: status.seq, state: status.state });
      this.#pump();
    });
  }

  /** Connects the outbox to a live socket; the oldest unacked status goes out at once. */
  attach(send: (frame: TaskStatusFrame) => boolean): void {
    this.#send = send;
    this.#inFlight = undefined;
    this.#pump();
  }

  /** The socket is gone: whatever was in flight is sent again on the next attach. */
  detach(): void {
    this.#send = undefined;
    this.#inFlight = undefined;
  }

  ack(taskId: string, seq: number): Promise<void> {
    return this.#serial(async () => {
      const head = this.#head();
      if (!head || head.taskId !== taskId || head.seq !== seq) {
        // A late ack for something already acknowledged (e.g. after a resend): nothing to do.
        this.#logger.debug({ event: 'outbox.ack_ignored', taskId, seq });
        return;
      }
      await this.#setAcked(head.n);
      this.#inFlight = undefined;
      this.#logger.debug({ event: 'outbox.acked', taskId, seq, pending: this.pending() });
      this.#pump();
    });
  }

  /** The cloud wants `taskId` from `expectedSeq` on: rewind to that status, or skip what it already has. */
  nack(taskId: string, expectedSeq: number): Promise<void> {
    return this.#serial(async () => {
      const head = this.#head();
      const index = this.#entries.findIndex((e) => e.taskId === taskId && e.seq === expectedSeq);
      const target = index >= 0 ? this.#entries[index]! : undefined;
      if (target && target.n <= this.#ackedN) {
        await this.#setAcked(target.n - 1);
        this.#logger.warn({ event: 'outbox.rewound', taskId, expectedSeq });
      } else if (head && head.taskId === taskId && head.seq < expectedSeq) {
        await this.#setAcked(head.n);
        this.#logger.warn({ event: 'outbox.skipped', taskId, seq: head.seq, expectedSeq });
      } else {
        this.#logger.warn({ event: 'outbox.nack', taskId, expectedSeq });
      }
      this.#inFlight = undefined;
      this.#pump();
    });
  }

  /** The cloud could not handle the in-flight status (an `error` frame): send it again. */
  resendInFlight(): Promise<void> {
    return this.#serial(async () => {
      this.#inFlight = undefined;
      this.#pump();
    });
  }

  async close(): Promise<void> {
    await this.#serial(async () => {
      this.#closed = true;
      this.#send = undefined;
      await this.#handle?.close();
      this.#handle = undefined;
    });
  }

  #head(): LogLine | undefined {
    return this.#entries.find((e) => e.n > this.#ackedN);
  }

  #pump(): void {
    if (!this.#send || this.#inFlight !== undefined) return;
    const head = this.#head();
    if (!head) return;
    const { n, ...status } = head;
    if (this.#send({ type: 'task.status', ...status })) this.#inFlight = n;
  }

  async #setAcked(n: number): Promise<void> {
    this.#ackedN = n;
    await writeFileAtomic(this.#cursorPath, `${JSON.stringify({ ackedN: n })}\n`);
  }

  /** Tasks whose last status is not final were running when the process died: mark them. */
  async #interruptDangling(clock: Clock): Promise<void> {
    const last = new Map<string, LogLine>();
    for (const e of this.#entries) last.set(e.taskId, e);
    const dangling = [...last.values()].filter((e) => !TERMINAL.has(e.state));
    if (dangling.length === 0) return;
    const lines = dangling.map((e) => ({
      n: this.#nextN++,
      taskId: e.taskId,
      seq: e.seq + 1,
      state: 'interrupted' as const,
      detail: 'the gateway stopped while the task was running',
      at: nowIso(clock),
    }));
    this.#entries.push(...lines);
    // Written with the compaction below, atomically, as a whole new log.
    await writeFileAtomic(this.#log, this.#entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    for (const l of lines) this.#logger.info({ event: 'task.interrupted', taskId: l.taskId, seq: l.seq });
  }

  /**
   * Drops acknowledged lines at start. Safe then because every task in the log is final by now
   * (see #interruptDangling), so nothing later needs a dropped line.
   */
  async #compact(): Promise<void> {
    const keep = this.#entries.filter((e) => e.n > this.#ackedN);
    if (keep.length === this.#entries.length) return;
    await writeFileAtomic(this.#log, keep.map((e) => `${JSON.stringify(e)}\n`).join(''));
    this.#entries = keep;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

async function readLog(path: string, logger: Logger): Promise<LogLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  // A crash mid-append leaves a partial last line: that status never counted as made (it was
  // not fsynced when the caller was told), so cut it off before appending after it.
  if (text.length > 0 && !text.endsWith('\n')) {
    const keep = text.lastIndexOf('\n') + 1;
    await truncate(path, Buffer.byteLength(text.slice(0, keep)));
    logger.warn({ event: 'outbox.torn_tail', bytes: Buffer.byteLength(text.slice(keep)) });
    text = text.slice(0, keep);
  }
  const entries: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    try {
      entries.push(LogLine.parse(JSON.parse(raw)));
    } catch {
      logger.error({ event: 'outbox.bad_line' }, 'skipping an unreadable outbox line');
    }
  }
  return entries;
}

async function readCursor(path: string, logger: Logger): Promise<number> {
  try {
    return Cursor.parse(JSON.parse(await readFile(path, 'utf8'))).ackedN;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      // Resending everything is safe (the cloud drops duplicates); losing statuses is not.
      logger.error({ event: 'outbox.bad_cursor' }, 'unreadable outbox cursor; resending the whole log');
    }
    return 0;
  }
}
