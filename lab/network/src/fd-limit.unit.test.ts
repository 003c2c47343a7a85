import { describe, expect, it } from 'vitest';
import { openFileLimit, readFdLimitFacts, SERVICE_OPEN_FILES } from './fd-limit.ts';

describe('open-file limit of long-lived services', () => {
  it('raises the hard limit up to fs.nr_open where the harness may (CAP_SYS_RESOURCE)', () => {
    expect(openFileLimit(SERVICE_OPEN_FILES, { canRaiseHard: true, nrOpen: 1_048_576, hard: 20_000 })).toBe(262_144);
    expect(openFileLimit(SERVICE_OPEN_FILES, { canRaiseHard: true, nrOpen: 100_000, hard: 20_000 })).toBe(100_000);
  });

  it('without the capability, raises the soft limit to the hard one and no further', () => {
    expect(openFileLimit(SERVICE_OPEN_FILES, { canRaiseHard: false, nrOpen: 1_048_576, hard: 20_000 })).toBe(20_000);
  });

  it("reads this process's facts from /proc", () => {
    const facts = readFdLimitFacts();
    expect(facts.nrOpen).toBeGreaterThan(0);
    expect(facts.hard).toBeGreaterThan(0);
    expect(typeof facts.canRaiseHard).toBe('boolean');
  });
});
