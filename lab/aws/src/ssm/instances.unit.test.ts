import { describe, expect, it } from 'vitest';
import { byLaunchTime, cloudHostId, cloudIndex } from './instances.ts';

/* moto launches instances within the same second, so the order of cloud instances is shown here. */
describe('cloud instances are numbered by launch time', () => {
  it('oldest first; the same time is decided by instance id', () => {
    const at = (id: string, iso: string) => ({ InstanceId: id, LaunchTime: new Date(iso) });
    const sorted = [at('i-c', '2026-01-01T10:00:00Z'), at('i-b', '2026-01-01T09:00:00Z'), at('i-a', '2026-01-01T10:00:00Z')].sort(
      byLaunchTime,
    );
    expect(sorted.map((i) => i.InstanceId)).toEqual(['i-b', 'i-a', 'i-c']);
  });

  it('cloud is the first, cloud-2 the second; other ids are no cloud ids', () => {
    expect([cloudIndex('cloud'), cloudIndex('cloud-2'), cloudIndex('cloud-12')]).toEqual([0, 1, 11]);
    expect([cloudIndex('cloud-1'), cloudIndex('cloud-0'), cloudIndex('clouds'), cloudIndex('relay')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect([0, 1, 11].map(cloudHostId)).toEqual(['cloud', 'cloud-2', 'cloud-12']);
  });
});
