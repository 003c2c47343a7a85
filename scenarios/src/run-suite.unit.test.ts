import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '@multiclaw-lab/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from './model.ts';
import { runSuite } from './run-suite.ts';
import { shardOf } from './shard.ts';
import { selectScenarios } from './suite.ts';

/**
 * A lab with no site at all: the runner skips every scenario (each needs a desktop host on s1)
 * without touching the lab, so runSuite's own work — selecting, sharding, reporting — runs for
 * real and in-process.
 */
const dir = await mkdtemp(join(tmpdir(), 'mclab-run-suite-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const emptyLab = {
  stateDir: dir,
  topology: { sites: [] },
  services: new Map(),
  driver: { name: 'netns', exec: async () => ({ code: 1, stdout: '', stderr: 'no database here' }) },
} as unknown as Lab;

describe('runSuite with a shard (lab run --shard i/n)', () => {
  it('runs only its part of the selection and says which shard in results.json and junit.xml', async () => {
    const progress: string[] = [];
    const reportsDir = join(dir, 'reports');
    const outcome = await runSuite(emptyLab, {
      tags: ['webrtc'],
      shard: { index: 2, total: 3 },
      seed: 5,
      checkers: [],
      reportsDir,
      onProgress: (t) => progress.push(t),
    });
    const selected = selectScenarios({ tags: ['webrtc'] });
    const mine = shardOf(selected, { index: 2, total: 3 }).map((s) => s.id);
    expect(outcome.results.scenarios.map((s) => s.id)).toEqual(mine);
    expect(outcome.results.shard).toEqual({ index: 2, total: 3, selected: selected.length });
    expect(progress[0]).toBe(`running ${mine.length} scenarios of ${selected.length} selected, shard 2/3 (seed 5)`);

    const written = JSON.parse(await readFile(join(outcome.summary.runDir, 'results.json'), 'utf8')) as RunResults;
    expect(written.shard).toEqual({ index: 2, total: 3, selected: selected.length });
    expect(await readFile(join(outcome.summary.runDir, 'junit.xml'), 'utf8')).toContain('<property name="shard" value="2/3"/>');
  });

  it('runs the whole selection without a shard, and the report names none', async () => {
    const outcome = await runSuite(emptyLab, { ids: ['S01', 'S02'], seed: 6, checkers: [], reportsDir: join(dir, 'whole') });
    expect(outcome.results.scenarios.map((s) => s.id)).toEqual(selectScenarios({ ids: ['S01', 'S02'] }).map((s) => s.id));
    expect(outcome.results.shard).toBeUndefined();
    expect(await readFile(join(outcome.summary.runDir, 'junit.xml'), 'utf8')).not.toContain('name="shard"');
  });
});
