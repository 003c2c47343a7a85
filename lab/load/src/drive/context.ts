/**
 * What a profile's drive works with during a run: the lab, the started workers, the run's
 * metrics and marks, its time limit, and the faults it made (healed by the run, whatever
 * happens). The run around it (run-load.ts) starts and stops the workers and writes the results.
 */
import type { Lab } from '@multiclaw-lab/core';
import type { Fault } from '@multiclaw-lab/network';
import type { CloudSampler } from '../coordinator/cloud-sampler.ts';
import type { LoadWorker, WorkerProgress } from '../coordinator/workers.ts';
import type { Metrics } from '../metrics.ts';
import type { StormFault } from '../profiles.ts';

export interface RunContext {
  lab: Lab;
  workers: LoadWorker[];
  metrics: Metrics;
  sampler: CloudSampler;
  /** the cloud before the run began */
  baseline: { cpuSeconds: number; rssKib: number };
  /** sessions, or for signin the attacked accounts, for tasks the gateways */
  clients: number;
  /** ms (epoch): nothing waits past it */
  deadline: number;
  /** storm and tasks: how long the links stay cut once every connection dropped */
  outageMs: number;
  /** storm and tasks: what the storm is (every site's link cut, or a cloud instance killed) */
  fault: StormFault;
  /** sessions and storm: the sessions resume their TLS sessions when they reconnect */
  tlsResumption: boolean;
  faults: Fault[];
  progress(text: string): void;
  /** like progress, at most every 2 s (for lines repeated while waiting) */
  report(text: string): void;
  mark(name: string): void;
}

const TICK_MS = 250;

/** Polls the workers' latest progress until `done` holds; false when `deadline` came first. */
export async function until(workers: LoadWorker[], done: (w: LoadWorker[]) => boolean, deadline: number): Promise<boolean> {
  while (!done(workers)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  return true;
}

export const sum = (workers: LoadWorker[], key: keyof WorkerProgress) => workers.reduce((n, w) => n + w.latest[key], 0);
