/**
 * The cloud's CPU and memory while a load runs, read from /proc of its process inside its host
 * (through the driver, as `ps` there would): one sample a second, CPU as a share of one core over
 * the second before, RSS in MiB.
 */
import type { Lab } from '@multiclaw-lab/core';
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
  #pid: number | undefined;
  #stopped = false;

  constructor(lab: Lab, startedAt: number) {
    this.#lab = lab;
    this.#startedAt = startedAt;
  }

  /** One reading now (also what the run's baseline and hold readings are). */
  async read(): Promise<{ cpuSeconds: number; rssKib: number }> {
    const cloud = this.#lab.service('cloud');
    this.#pid ??= await this.#lab.driver.pidInHost(cloud.handle.child);
    const r = await this.#lab.driver.exec(cloud.def.host, 'cat', [`/proc/${this.#pid}/stat`, `/proc/${this.#pid}/status`]);
    if (r.code !== 0) throw new Error(`reading the cloud's /proc failed: ${r.stderr.trim()}`);
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
