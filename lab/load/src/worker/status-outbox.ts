/**
 * A load gateway's queue of task status updates, delivered by the real gateway's rules
 * (lab/gateway's Outbox, kept in memory here: a load run does not restart its gateways):
 *   - statuses go out in the order they were made, exactly one in flight at a time, always the
 *     oldest one not yet acknowledged;
 *   - after a reconnect the oldest unacknowledged one goes out again (the cloud acknowledges a
 *     duplicate without storing it twice);
 *   - a nack rewinds to the status the cloud expects, or skips one it already has;
 *   - a late ack for anything but the one in flight changes nothing.
 * What happens to each status (first sent, sent again, acknowledged) is told to the hooks.
 */
import type { TaskStatusFrame } from '@multiclaw-lab/protocol';

export type TaskStatus = Omit<TaskStatusFrame, 'type'>;

export interface OutboxEntry {
  /** its place in the outbox: 1, 2, 3, … */
  n: number;
  status: TaskStatus;
  /** performance.now() when it was made, last sent, first acknowledged */
  madeAt: number;
  sentAt?: number;
  ackedAt?: number;
  transmissions: number;
}

export interface OutboxHooks {
  sent(entry: OutboxEntry): void;
  acked(entry: OutboxEntry): void;
  nacked(): void;
}

export class StatusOutbox {
  readonly #hooks: OutboxHooks;
  /** every status made; entries[i].n === i + 1 */
  readonly #entries: OutboxEntry[] = [];
  /** every entry with n ≤ ackedN is stored by the cloud */
  #ackedN = 0;
  #send: ((frame: TaskStatusFrame) => boolean) | undefined;
  #inFlight: number | undefined;

  constructor(hooks: OutboxHooks) {
    this.#hooks = hooks;
  }

  /** statuses not yet acknowledged */
  pending(): number {
    return this.#entries.length - this.#ackedN;
  }

  append(status: TaskStatus): void {
    this.#entries.push({ n: this.#entries.length + 1, status, madeAt: performance.now(), transmissions: 0 });
    this.#pump();
  }

  /** A live socket: the oldest unacknowledged status goes out at once. */
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

  ack(taskId: string, seq: number): void {
    const head = this.#head();
    if (!head || head.status.taskId !== taskId || head.status.seq !== seq) return;
    this.#ackedN = head.n;
    if (head.ackedAt === undefined) {
      head.ackedAt = performance.now();
      this.#hooks.acked(head);
    }
    this.#inFlight = undefined;
    this.#pump();
  }

  /** The cloud wants `taskId` from `expectedSeq` on: rewind to that status, or skip what it already has. */
  nack(taskId: string, expectedSeq: number): void {
    this.#hooks.nacked();
    const head = this.#head();
    const target = this.#entries.find((e) => e.status.taskId === taskId && e.status.seq === expectedSeq);
    if (target && target.n <= this.#ackedN) this.#ackedN = target.n - 1;
    else if (head && head.status.taskId === taskId && head.status.seq < expectedSeq) this.#ackedN = head.n;
    this.#inFlight = undefined;
    this.#pump();
  }

  /** The cloud could not handle the in-flight status (an `error` frame): send it again. */
  resendInFlight(): void {
    this.#inFlight = undefined;
    this.#pump();
  }

  #head(): OutboxEntry | undefined {
    return this.#entries[this.#ackedN];
  }

  #pump(): void {
    if (!this.#send || this.#inFlight !== undefined) return;
    const head = this.#head();
    if (!head) return;
    if (!this.#send({ type: 'task.status', ...head.status })) return;
    this.#inFlight = head.n;
    head.transmissions += 1;
    head.sentAt = performance.now();
    this.#hooks.sent(head);
  }
}
