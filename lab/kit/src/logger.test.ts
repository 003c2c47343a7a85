import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, scrubSecrets } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

describe('logger redaction', () => {
  const plantedKey = 'sk-lab-PLANTED0123456789abcdef';
  const plantedBearer = 'mcb_PLANTEDbearer0123456789';

  it('removes secrets under known field names at any depth', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        apiKey: plantedKey,
        nested: { deeper: { token: 'abc-secret-value' } },
        req: { headers: { authorization: `Bearer ${plantedBearer}` } },
      },
      'set key',
    );
    const out = lines.join('');
    expect(out).not.toContain(plantedKey);
    expect(out).not.toContain('abc-secret-value');
    expect(out).not.toContain(plantedBearer);
    expect(out).toContain(REDACTED);
  });

  it('masks secret-shaped strings in messages, errors and unknown fields', () => {
    const { lines, logger } = capture();
    logger.warn(
      { url: `https://x.test/?k=${plantedKey}`, err: new Error(`provider refused ${plantedKey}`) },
      `calling with ${plantedBearer}`,
    );
    const out = lines.join('');
    expect(out).not.toContain(plantedKey);
    expect(out).not.toContain(plantedBearer);
    expect(JSON.parse(out).msg).toBe(`calling with mcb_${REDACTED}`);
  });

  it('leaves ordinary text alone', () => {
    expect(scrubSecrets('task t1 completed in 3 steps')).toBe('task t1 completed in 3 steps');
  });
});
