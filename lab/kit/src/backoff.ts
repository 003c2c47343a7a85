/**
 * Capped exponential backoff with full jitter (a random delay in [0, min(cap, base·2^n)]), so a
 * fleet of clients that lost the same server does not come back in step.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** a source of uniform numbers in [0, 1); injectable for seeded runs */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 15_000 };

export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}

/** A small seeded PRNG (mulberry32) for reproducible jitter in scenarios. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
