import { describe, expect, it } from 'vitest';
import { summaryOf } from './unit-mutant.ts';

describe("reading vitest's verdict on a layer's unit tests", () => {
  it('counts failed and passed tests and names the failures, colours or not', () => {
    const output = [
      ' \u001b[31m×\u001b[39m unit  lab/kit/src/logger.test.ts > logger redaction > removes secrets 4ms',
      ' ✓ unit  lab/kit/src/logger.test.ts > keeps plain text 1ms',
      '\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m | \u001b[32m5 passed\u001b[39m (6)',
    ].join('\n');
    expect(summaryOf(output)).toEqual({
      failed: 1,
      passed: 5,
      failures: ['unit  lab/kit/src/logger.test.ts > logger redaction > removes secrets'],
    });
  });

  it('sees all passing, and nothing run at all', () => {
    expect(summaryOf('      Tests  6 passed (6)')).toMatchObject({ failed: 0, passed: 6 });
    expect(summaryOf('No test files found, exiting with code 1')).toMatchObject({ failed: 0, passed: 0 });
  });
});
