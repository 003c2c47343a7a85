/**
 * Many gateways in one worker, each streaming status updates for a few tasks of its own at a
 * steady rate (whether or not its link is up: a real gateway's tasks go on offline, and their
 * statuses wait in its outbox). What they go through is recorded into the worker's metrics:
 * updates sent (each once, however often it went again), sent again, acknowledged, nacked; the
 * time from a status's last sending to its ack (`update_latency_ms`) and from its making to its
 * ack (`update_delivery_ms`, which holds any outage it waited through); and, as the sessions
 * profile does, each gateway's first welcome, drops, reconnects and return after a mark. On
 * `drain` the tasks end (a `completed` status each), every outbox is waited for, and the ledger
 * of every task (the highest seq made, sent, acknowledged) is what the coordinator checks the
 * database against.
 */
import { randomUUID } from 'node:crypto';
import type { BackoffOptions } from '@multiclaw-lab/kit';
import { Agent } from 'undici';
import type { Metrics } from '../metrics.ts';
import { statusDetail, type TaskLedger } from '../task-check.ts';
import { LoadGateway } from './load-gateway.ts';
import { StatusOutbox } from './status-outbox.ts';

export interface TasksConfig {
  cloudUrl: string;
  ca: string;
  gateways: Array<{ instanceId: string; authToken: string }>;
  tasksPerGateway: number;
  /** status updates each gateway makes a second, over its tasks in turn */
  updatesPerSecond: number;
  backoff?: Omit<BackoffOptions, 'random'>;
}

interface Task {
  taskId: string;
  made: number;
  sent: number;
  acked: number;
}

interface Member {
  instanceId: string;
  gateway: LoadGateway;
  outbox: StatusOutbox;
  tasks: Task[];
  next: number;
  timer: NodeJS.Timeout | undefined;
  /** welcomed, or refused for good */
  settled: boolean;
  refused: boolean;
}

/** how often a drain looks whether every outbox is empty */
const DRAIN_POLL_MS = 100;

export class GatewayPool {
  readonly #config: TasksConfig;
  readonly #metrics: Metrics;
  readonly #agent: Agent;
  readonly #socketAgent: Agent;
  readonly #members: Member[] = [];
  #mark: { name: string; at: number } | undefined;
  #opened: () => void = () => undefined;
  readonly #allSettled = new Promise<void>((resolve) => {
    this.#opened = resolve;
  });

  constructor(config: TasksConfig, metrics: Metrics) {
    this.#config = config;
    this.#metrics = metrics;
    this.#agent = new Agent({ connect: { ca: config.ca }, connections: 16 });
    this.#socketAgent = new Agent({ connect: { ca: config.ca } });
    // counted from zero, so "none" is a measurement and not a missing metric
    for (const counter of ['updates_sent', 'updates_resent', 'updates_acked', 'updates_nacked', 'updates_unacked'])
      metrics.add(counter, 0);
  }

  get opened(): number {
    return this.#members.length;
  }

  get connected(): number {
    return this.#members.filter((m) => m.gateway.connected).length;
  }

  get failed(): number {
    return this.#members.filter((m) => m.refused).length;
  }

  get backSinceMark(): number {
    const mark = this.#mark;
    if (!mark) return 0;
    return this.#members.filter((m) => m.gateway.connected && (m.gateway.welcomedAt ?? 0) >= mark.at).length;
  }

  #settle(member: Member): void {
    member.settled = true;
    if (this.#members.every((m) => m.settled)) this.#opened();
  }

  #member(instanceId: string, authToken: string): Member {
    const metrics = this.#metrics;
    const tasks: Task[] = Array.from({ length: this.#config.tasksPerGateway }, () => ({
      taskId: randomUUID(),
      made: 0,
      sent: 0,
      acked: 0,
    }));
    const taskOf = (taskId: string) => tasks.find((t) => t.taskId === taskId)!;
    const outbox = new StatusOutbox({
      sent: (entry) => {
        if (entry.transmissions > 1) return metrics.add('updates_resent');
        metrics.add('updates_sent');
        const task = taskOf(entry.status.taskId);
        task.sent = Math.max(task.sent, entry.status.seq);
      },
      acked: (entry) => {
        metrics.add('updates_acked');
        metrics.record('update_latency_ms', (entry.ackedAt ?? 0) - (entry.sentAt ?? 0));
        metrics.record('update_delivery_ms', (entry.ackedAt ?? 0) - entry.madeAt);
        const task = taskOf(entry.status.taskId);
        task.acked = Math.max(task.acked, entry.status.seq);
      },
      nacked: () => metrics.add('updates_nacked'),
    });
    const started = performance.now();
    const member: Member = {
      instanceId,
      outbox,
      tasks,
      next: 0,
      timer: undefined,
      settled: false,
      refused: false,
      gateway: new LoadGateway({
        cloudUrl: this.#config.cloudUrl,
        authToken,
        agent: this.#agent,
        socketAgent: this.#socketAgent,
        outbox,
        ...(this.#config.backoff ? { backoff: this.#config.backoff } : {}),
        events: {
          welcome: (first, downtimeMs) => {
            const mark = this.#mark;
            if (mark) metrics.record(`back_after_${mark.name}_ms`, Date.now() - mark.at);
            if (first) {
              metrics.record('connect_ms', performance.now() - started);
              metrics.add('sessions_opened');
              this.#settle(member);
            } else if (downtimeMs !== undefined) {
              metrics.record('reconnect_ms', downtimeMs);
              metrics.add('reconnects');
            }
          },
          dropped: () => metrics.add('drops'),
          refused: () => {
            member.refused = true;
            metrics.add('sessions_refused');
            this.#settle(member);
          },
        },
      }),
    };
    return member;
  }

  /** One status of the member's next task: queued, running, then steps. */
  #update(member: Member, state?: 'completed'): void {
    const task = member.tasks[member.next++ % member.tasks.length]!;
    this.#make(member, task, state ?? (task.made === 0 ? 'queued' : task.made === 1 ? 'running' : 'step'));
  }

  #make(member: Member, task: Task, state: 'queued' | 'running' | 'step' | 'completed'): void {
    task.made += 1;
    member.outbox.append({
      taskId: task.taskId,
      seq: task.made,
      state,
      detail: statusDetail(task.made),
      at: new Date().toISOString(),
    });
  }

  /** Starts every gateway and its stream of updates; resolves once each was welcomed or refused. */
  async openAll(): Promise<void> {
    const periodMs = 1000 / this.#config.updatesPerSecond;
    for (const g of this.#config.gateways) {
      const member = this.#member(g.instanceId, g.authToken);
      this.#members.push(member);
    }
    for (const member of this.#members) {
      member.gateway.start();
      // spread over one period, so the gateways do not all send on the same tick
      const offset = Math.random() * periodMs;
      member.timer = setTimeout(() => {
        this.#update(member);
        member.timer = setInterval(() => this.#update(member), periodMs);
      }, offset);
    }
    if (this.#members.length === 0) return;
    await this.#allSettled;
  }

  mark(name: string): void {
    this.#mark = { name, at: Date.now() };
  }

  /**
   * Ends every task (a final `completed` status each) and waits, at most `timeoutMs`, for every
   * outbox to be acknowledged; answers every task's ledger. Statuses still unacknowledged then
   * are counted in `updates_unacked`.
   */
  async drain(timeoutMs: number): Promise<TaskLedger[]> {
    for (const member of this.#members) {
      clearTimeout(member.timer);
      clearInterval(member.timer);
      for (const task of member.tasks) if (task.made > 0) this.#make(member, task, 'completed');
    }
    const until = Date.now() + timeoutMs;
    const pending = () => this.#members.reduce((n, m) => n + m.outbox.pending(), 0);
    while (pending() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    this.#metrics.add('updates_unacked', pending());
    return this.#members.flatMap((m) =>
      m.tasks.map((t) => ({ instanceId: m.instanceId, taskId: t.taskId, made: t.made, sent: t.sent, acked: t.acked })),
    );
  }

  async stopAll(): Promise<void> {
    for (const member of this.#members) {
      clearTimeout(member.timer);
      clearInterval(member.timer);
    }
    await Promise.all(this.#members.map((m) => m.gateway.stop()));
    // a socket stop() left behind over a dead link would hold close() open
    await Promise.all([this.#agent.destroy(), this.#socketAgent.destroy()]);
  }
}
