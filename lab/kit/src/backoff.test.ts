import { describe, expect, it } from 'vitest';
import { backoffDelay, seededRandom } from './backoff.ts';

describe('backoffDelay', () => {
  it('stays within [0, min(cap, base·2^n)]', () => {
    const random = seededRandom(42);
    for (let attempt = 0; attempt < 40; attempt++) {
      const d = backoffDelay(attempt, { baseMs: 100, capMs: 5_000, random });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** attempt));
    }
  });
  it('uses the whole range (full jitter), not just the ceiling', () => {
    expect(backoffDelay(10, { baseMs: 100, capMs: 5_000, random: () => 0 })).toBe(0);
    expect(backoffDelay(10, { baseMs: 100, capMs: 5_000, random: () => 0.999999 })).toBe(4_999);
  });
  it('is reproducible with a seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
