/**
 * The cloud's CPU and memory while a load runs, read from /proc of its processes inside its host
 * (through the driver, as `ps` there would), every instance summed: one sample a second, CPU as a
 * share of one core over the second before, RSS in MiB. Another service is sampled the same way
 * when named (the turn profile samples coturn).
 */
import type { Lab, RunningService } from '@multiclaw-lab/core';
import { parseProcStatCpuSeconds, parseProcStatus } from '@multiclaw-lab/kit';

export interface CloudSample {
  /** ms since the run started */
  t: number;
  cpuPercent: number;
  rssMib: number;
}

export class CloudSampler {
  readonly samples: CloudSample[] = [];
  readonly #lab: Lab;
  readonly #startedAt: number;
  #timer: NodeJS.Timeout | undefined;
  #last: { at: number; cpu: number } | undefined;
  /** each cloud process's pid in its host (a restarted instance is a new process) */
  readonly #pids = new Map<RunningService, number>();
  #stopped = false;
  /** the service (or group of instances) sampled */
  readonly #service: string;

  constructor(lab: Lab, startedAt: number, service = 'cloud') {
    this.#lab = lab;
    this.#startedAt = startedAt;
    this.#service = service;
  }

  /** One reading now (also what the run's baseline and hold readings are): every cloud instance together. */
  async read(): Promise<{ cpuSeconds: number; rssKib: number }> {
    const readings = await Promise.all(this.#lab.serviceGroup(this.#service).map((cloud) => this.#readOne(cloud)));
    return {
      cpuSeconds: readings.reduce((sum, r) => sum + r.cpuSeconds, 0),
      rssKib: readings.reduce((sum, r) => sum + r.rssKib, 0),
    };
  }

  async #readOne(cloud: RunningService): Promise<{ cpuSeconds: number; rssKib: number }> {
    let pid = this.#pids.get(cloud);
    if (pid === undefined) {
      pid = await this.#lab.driver.pidInHost(cloud.handle.child);
      this.#pids.set(cloud, pid);
    }
    const r = await this.#lab.driver.exec(cloud.def.host, 'cat', [`/proc/${pid}/stat`, `/proc/${pid}/status`]);
    if (r.code !== 0) throw new Error(`reading ${cloud.def.id}'s /proc failed: ${r.stderr.trim()}`);
    const [stat, ...status] = r.stdout.split('\n');
    return { cpuSeconds: parseProcStatCpuSeconds(stat!), rssKib: parseProcStatus(status.join('\n')).rssBytes / 1024 };
  }

  async #sample(): Promise<void> {
    const at = Date.now();
    const { cpuSeconds, rssKib } = await this.read();
    const last = this.#last;
    this.#last = { at, cpu: cpuSeconds };
    if (!last) return;
    const cpuPercent = Math.round(((cpuSeconds - last.cpu) / ((at - last.at) / 1000)) * 1000) / 10;
    this.samples.push({ t: at - this.#startedAt, cpuPercent, rssMib: Math.round(rssKib / 102.4) / 10 });
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#timer = setTimeout(
        () =>
          void this.#sample()
            .catch(() => undefined)
            .finally(tick),
        1_000,
      );
    };
    void this.#sample().catch(() => undefined);
    tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
