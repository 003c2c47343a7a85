import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '@multiclaw-lab/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMutantOn } from '../src/mutate/run-mutant.ts';
import { selectMutants } from '../src/mutate/select.ts';

/**
 * A fixed sample of the mutant catalogue, one per tag, each on a fresh lab with its defect on:
 * the suite must catch every one on a check of the mutant's own claims. `pnpm lab mutate` runs
 * the whole catalogue; this keeps the mechanism honest in every CI run.
 */
const SAMPLE = [
  'lockout-off',
  'local-api-token-unchecked',
  'updater-skips-signature',
  'api-key-stored-plaintext',
  'desktop-no-reconnect',
  'turn-credentials-never-expire',
];

let stateRoot: string;
beforeAll(async () => {
  stateRoot = await mkdtemp(join(tmpdir(), 'mclab-mutants-'));
  await chmod(stateRoot, 0o755);
});
afterAll(async () => {
  await rm(stateRoot, { recursive: true, force: true });
});

describe('the suite catches deliberate defects (a sample of the mutant catalogue)', () => {
  it('samples every tag', () => {
    const tags = new Set(selectMutants({ ids: SAMPLE }).flatMap((m) => m.tags));
    expect([...tags].sort()).toEqual(['keys', 'local', 'reconnect', 'tokens', 'updates', 'webrtc']);
  });

  for (const mutant of selectMutants({ ids: SAMPLE })) {
    it(`${mutant.id}: ${mutant.defect} — caught by a check of ${mutant.claims.join(', ')}`, async () => {
      const stateDir = join(stateRoot, mutant.id);
      const lab = await startLab({ prefix: `m${randomBytes(3).toString('hex')}`, stateDir, desktops: 3, mutant: mutant.id });
      try {
        const result = await runMutantOn(lab, mutant);
        expect(result.outcome, JSON.stringify(result.scenarios, null, 2)).toBe('killed');
        expect(mutant.claims).toEqual(expect.arrayContaining(result.killedBy!.claims));
      } finally {
        await lab.down();
      }
    }, 300_000);
  }
});
