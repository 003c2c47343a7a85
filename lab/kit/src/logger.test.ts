import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, SECRET_KEYS, scrubSecrets } from './logger.ts';

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

  it('removes the value under every secret field name, top level and nested', () => {
    for (const key of SECRET_KEYS) {
      const { lines, logger } = capture();
      const value = `planted-${key}-value-0123456789`;
      logger.info({ [key]: value, wrapper: { [key]: value } }, 'fields');
      const out = lines.join('');
      expect(out, key).not.toContain(value);
      expect(JSON.parse(out)[key], key).toBe(REDACTED);
    }
  });

  it('masks every credential shape the lab hands out, also inside an error cause chain', () => {
    const shapes = [
      'mcb_bearer0123456789',
      'mcg_gateway0123456789',
      'mci_instance0123456789',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlMTIz',
      'sk-provider0123456789',
      'token.subprotocol0123456789abcdef',
      `enc:${'A'.repeat(24)}`,
    ];
    for (const shape of shapes) {
      const { lines, logger } = capture();
      logger.error({ err: new Error('outer', { cause: new Error(`inner ${shape}`) }), note: `saw ${shape}` }, shape);
      expect(lines.join(''), shape).not.toContain(shape);
    }
  });

  it("removes secrets from a child logger's bindings, and deeper than any fixed set of paths", () => {
    const { lines, logger } = capture();
    const value = 'planted-binding-value-0123456789';
    logger
      .child({ token: value, request: { headers: { authorization: value } } })
      .info({ a: { b: { c: { d: { e: { secret: value } } } } } }, 'child line');
    logger.child({ scope: 'outer' }).child({ bearer: value }).info('grandchild line');
    const [line, grandchild] = lines.map((l) => JSON.parse(l));
    expect(lines.join('')).not.toContain(value);
    expect(line.token).toBe(REDACTED);
    expect(grandchild).toMatchObject({ scope: 'outer', bearer: REDACTED });
  });

  it('does not mask a value of no known shape under an ordinary field: leak checks must plant such values', () => {
    const { lines, logger } = capture();
    const unknownShape = 'llmkey-unknown-shape-0123456789abcdef';
    logger.info({ note: unknownShape }, `value ${unknownShape}`);
    expect(lines.join('')).toContain(unknownShape);
  });
});
