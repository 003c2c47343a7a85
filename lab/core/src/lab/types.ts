/**
 * The lab's public shapes: how to ask for one, what `lab up` reports while it works, what
 * `status()` answers, the demo accounts it provisions, and the error a failed start throws.
 */
import { LabError } from '@multiclaw-lab/kit';
import type { DriverFactory, LabDriver } from '@multiclaw-lab/network';

/** One line of `lab up`'s progress: the phase it is in and what it is doing. */
export interface ProgressStep {
  phase: string;
  detail: string;
  done?: boolean;
}

export { DEFAULT_DESKTOPS } from './defaults.ts';

export interface StartLabOptions {
  sites?: number;
  desktops?: number;
  cloudDesktops?: number;
  /**
   * cloud processes on the cloud host (1–8, default 1); more than one run behind HAProxy on the
   * cloud's port 443, as services cloud, cloud-2, … (see cloud-balancer.ts)
   */
  cloudInstances?: number;
  prefix?: string;
  stateDir: string;
  /** makes the topology real; default: network namespaces */
  driver?: DriverFactory;
  logLevel?: string;
  /**
   * a behavioural mutant (catalogue: `MUTANTS` in the protocol package) to run the lab's services
   * with: the lab is then a deliberately broken MultiClaw, for `pnpm lab mutate`
   */
  mutant?: string;
  onProgress?: (step: ProgressStep) => void;
}

export interface LabStatus {
  prefix: string;
  driver: LabDriver['name'];
  startedAt: string;
  stateDir: string;
  /** set when the lab runs with a catalogued defect on (a deliberately broken MultiClaw) */
  mutant?: string;
  hosts: Array<{ id: string; role: string; site?: string; namespace: string; addresses: string[] }>;
  services: Array<{
    id: string;
    host: string;
    kind: string;
    pid: number | null;
    healthy: boolean;
    /** what the health check saw */
    detail: string;
    log: string;
    /** spawn to ready, ms */
    startMs: number;
  }>;
}

/** An account `lab up` made for one desktop host (the first owns the lab's workspace). */
export interface DemoAccount {
  email: string;
  password: string;
  bearer: string;
  userId: string;
  host: string;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class LabStartError extends LabError {
  /** `teardownFailures`: what went wrong while taking down what was made (empty: all of it went) */
  constructor(phase: string, cause: unknown, teardownFailures: unknown[] = []) {
    super('LAB_START_FAILED', `lab up failed while ${phase}: ${messageOf(cause)}`, {
      hint:
        teardownFailures.length === 0
          ? 'everything made so far was taken down; see the logs in the state folder'
          : `taking down what was made failed too (${teardownFailures.map(messageOf).join('; ')}): run pnpm lab down`,
      cause,
    });
  }
}
