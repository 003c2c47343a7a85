import { setTimeout as sleep } from 'node:timers/promises';

/** Where task step timers come from; tests may inject one that they drive themselves. */
export interface Scheduler {
  /** resolves after `ms`, or rejects with an AbortError when `signal` fires */
  delay(ms: number, signal: AbortSignal): Promise<void>;
}

export const realTimers: Scheduler = {
  delay: (ms, signal) => sleep(ms, undefined, { signal }),
};
