/**
 * The coordinator's side of the workers: one worker program per site desktop host, started
 * through the lab's driver (so it runs inside that host, behind the site's router and link),
 * told what to hold, marked, stopped; what they say is gathered into the run's picture.
 */
import { fileURLToPath } from 'node:url';
import type { Lab } from '@multiclaw-lab/core';
import { type LogLine, launch, type ProcessHandle } from '@multiclaw-lab/kit';
import type { EncodedMetrics } from '../metrics.ts';
import type { TaskLedger } from '../task-check.ts';
import type { TasksConfig } from '../worker/gateways.ts';
import type { SessionsConfig } from '../worker/sessions.ts';
import type { SigninConfig } from '../worker/signin.ts';
import type { TurnConfig } from '../worker/turn.ts';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.ts', import.meta.url));

export interface WorkerProgress {
  opened: number;
  connected: number;
  failed: number;
  back: number;
}

export class LoadWorker {
  readonly host: string;
  readonly clients: number;
  readonly handle: ProcessHandle;
  latest: WorkerProgress = { opened: 0, connected: 0, failed: 0, back: 0 };
  /** every session of its share was tried: welcomed, or refused for good */
  triedAll = false;

  constructor(host: string, clients: number, handle: ProcessHandle) {
    this.host = host;
    this.clients = clients;
    this.handle = handle;
    handle.on('line', (line: LogLine) => {
      if (line.json?.event === 'load.progress') this.latest = line.json as unknown as WorkerProgress;
      if (line.json?.event === 'load.opened') this.triedAll = true;
    });
  }

  #send(command: Record<string, unknown>): void {
    this.handle.child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  start(config: Omit<SessionsConfig, 'ca'>, maxMs: number): void {
    this.#send({ cmd: 'start', mode: 'sessions', config, maxMs });
  }

  startSignin(config: Omit<SigninConfig, 'ca'>, maxMs: number): void {
    this.#send({ cmd: 'start', mode: 'signin', config, maxMs });
  }

  startTurn(config: Omit<TurnConfig, 'caFile'>, maxMs: number): void {
    this.#send({ cmd: 'start', mode: 'turn', config, maxMs });
  }

  startTasks(config: Omit<TasksConfig, 'ca'>, maxMs: number): void {
    this.#send({ cmd: 'start', mode: 'tasks', config, maxMs });
  }

  /** Gateways: ends their tasks and waits (at most `timeoutMs`) for their outboxes; answers every task's ledger. */
  async drain(timeoutMs: number): Promise<TaskLedger[]> {
    this.#send({ cmd: 'drain', timeoutMs });
    const drained = await this.handle.waitForLine((l) => l.json?.event === 'load.drained', timeoutMs + 10_000);
    return (drained.json as { ledger: TaskLedger[] }).ledger;
  }

  async mark(name: string): Promise<void> {
    const from = this.handle.lines.length;
    this.#send({ cmd: 'mark', name });
    await this.handle.waitForLine((l) => this.handle.lines.indexOf(l) >= from && l.json?.event === 'load.marked', 10_000);
  }

  /** Tells it to stop; answers its metrics once it has closed every session. */
  async stop(timeoutMs: number): Promise<EncodedMetrics> {
    this.#send({ cmd: 'stop' });
    const done = await this.handle.waitForLine((l) => l.json?.event === 'load.done', timeoutMs);
    return (done.json as { metrics: EncodedMetrics }).metrics;
  }
}

/** Starts one worker in `host`, with the host's environment (its trust bundle, its clock). */
export async function startWorker(lab: Lab, host: string, clients: number): Promise<LoadWorker> {
  const files = lab.hostFiles(host);
  const handle = await launch({
    name: `load-${host}`,
    spawn: () =>
      lab.driver.spawn(host, process.execPath, [WORKER_MAIN], {
        env: {
          PATH: process.env.PATH,
          HOME: files.home,
          SSL_CERT_FILE: files.trustBundle,
          LOG_LEVEL: 'warn',
          ...files.clockEnv,
        },
      }),
    readyTimeoutMs: 60_000,
  });
  return new LoadWorker(host, clients, handle);
}

/** `total` clients over `hosts` as evenly as they go (the first hosts take the remainder). */
export function shareOut(total: number, hosts: string[]): Array<{ host: string; clients: number }> {
  const each = Math.floor(total / hosts.length);
  const extra = total % hosts.length;
  return hosts.map((host, i) => ({ host, clients: each + (i < extra ? 1 : 0) })).filter((w) => w.clients > 0);
}
