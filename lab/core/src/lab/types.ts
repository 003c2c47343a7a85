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

/**
 * Desktop hosts per site when `lab up` is not told otherwise: several scenarios need a second
 * and third user at home. (The topology's own default is one, the smallest useful lab.)
 */
export const DEFAULT_DESKTOPS = 3;

export interface StartLabOptions {
  sites?: number;
  desktops?: number;
  cloudDesktops?: number;
  prefix?: string;
  stateDir: string;
  /** makes the topology real; default: network namespaces */
  driver?: DriverFactory;
  logLevel?: string;
  onProgress?: (step: ProgressStep) => void;
}

export interface LabStatus {
  prefix: string;
  driver: LabDriver['name'];
  startedAt: string;
  stateDir: string;
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

export class LabStartError extends LabError {
  constructor(phase: string, cause: unknown) {
    super('LAB_START_FAILED', `lab up failed while ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'everything made so far was taken down; see the logs in the state folder',
      cause,
    });
  }
}
