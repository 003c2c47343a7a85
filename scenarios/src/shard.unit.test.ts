import { describe, expect, it } from 'vitest';
import { checkShard, shardOf } from './shard.ts';
import { SUITE, selectScenarios } from './suite.ts';

const ids = (list: ReadonlyArray<{ id: string }>) => list.map((s) => s.id);

describe('shardOf: splitting the selected scenarios between machines', () => {
  it('puts every scenario of the suite in exactly one of n shards, for every n', () => {
    for (let total = 1; total <= SUITE.length + 2; total++) {
      const parts = Array.from({ length: total }, (_, k) => ids(shardOf(SUITE, { index: k + 1, total })));
      expect(parts.flat().sort()).toEqual(ids(SUITE).sort());
      expect(new Set(parts.flat()).size).toBe(SUITE.length);
      // balanced: sizes differ by at most one
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('deals the selection sorted by id, round robin, and keeps the suite order inside a shard', () => {
    const list = [{ id: 'S03' }, { id: 'S01' }, { id: 'S05' }, { id: 'S02' }, { id: 'S04' }];
    expect(ids(shardOf(list, { index: 1, total: 2 }))).toEqual(['S03', 'S01', 'S05']);
    expect(ids(shardOf(list, { index: 2, total: 2 }))).toEqual(['S02', 'S04']);
    // the same input in another order gives the same shards: each machine computes the same split
    expect(ids(shardOf([...list].reverse(), { index: 1, total: 2 })).sort()).toEqual(['S01', 'S03', 'S05']);
  });

  it('splits what the ids and tags selected, not the whole suite', () => {
    const webrtc = selectScenarios({ tags: ['webrtc'] });
    const parts = [1, 2, 3].map((index) => ids(shardOf(webrtc, { index, total: 3 })));
    expect(parts.flat().sort()).toEqual(ids(webrtc).sort());
    // eight WebRTC scenarios: round robin gives 3, 3, 2
    expect(parts.map((p) => p.length)).toEqual([3, 3, 2]);
  });

  it('gives an empty shard when there are more shards than scenarios', () => {
    expect(shardOf([{ id: 'S01' }], { index: 2, total: 3 })).toEqual([]);
  });

  it('refuses a shard outside 1..n', () => {
    expect(() => checkShard({ index: 0, total: 3 })).toThrow('shard 0/3: the shard number runs from 1 to 3');
    expect(() => shardOf(SUITE, { index: 4, total: 3 })).toThrow('shard 4/3: the shard number runs from 1 to 3');
    expect(() => checkShard({ index: 1, total: 0 })).toThrow('a shard count is a whole number of at least 1, not 0');
    expect(() => checkShard({ index: 1.5, total: 3 })).toThrow('the shard number runs from 1 to 3');
  });
});
