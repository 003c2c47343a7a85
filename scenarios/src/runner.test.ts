import type { Lab } from '@multiclaw-lab/core';
import { buildTopology, type DriverName } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { defineScenario } from './define.ts';
import { capabilitiesOf } from './driver-limits.ts';
import { ScenarioRunner } from './runner.ts';

/** A lab that has only a topology: enough for the runner to decide what it cannot run. */
function labWith(desktops: number, driver: DriverName = 'netns'): Lab {
  return { topology: buildTopology({ desktops }), driver: { name: driver } } as unknown as Lab;
}

const needsThree = defineScenario({
  id: 'S99-three-desktops',
  title: 'uses s1-d3',
  claims: ['XX-1'],
  tags: ['local'],
  needs: [],
  desktopHosts: 3,
  run: async () => {
    throw new Error('must not run on a lab without s1-d3');
  },
});

describe('ScenarioRunner: what a lab cannot run', () => {
  it('skips a scenario that needs more desktop hosts than the lab has, naming the command that makes them', async () => {
    const progress: string[] = [];
    const runner = new ScenarioRunner(labWith(1), '/nonexistent-evidence', { onProgress: (t) => progress.push(t) });
    const result = await runner.run(needsThree);
    expect(result.status).toBe('skipped');
    expect(result.skipReason).toBe('needs 3 desktop hosts on site s1, this lab has 1: pnpm lab down && pnpm lab up --desktops 3');
    expect(runner.results).toEqual([result]);
    expect(progress).toEqual([`S99-three-desktops: skipped, ${result.skipReason}`]);
  });

  it('skips a scenario whose capabilities the driver lacks', async () => {
    const runner = new ScenarioRunner(labWith(3), '/nonexistent-evidence', { capabilities: ['firewall'] });
    const result = await runner.run({ ...needsThree, needs: ['dpi', 'firewall', 'clock'] });
    expect(result.status).toBe('skipped');
    expect(result.skipReason).toBe('the netns driver cannot provide dpi: not offered; clock: not offered');
  });

  it('skips, on the docker driver, a scenario that needs a browser in a host, saying why', async () => {
    const runner = new ScenarioRunner(labWith(3, 'docker'), '/nonexistent-evidence');
    const result = await runner.run({ ...needsThree, needs: ['browser', 'capture'] });
    expect(result.status).toBe('skipped');
    expect(result.skipReason).toMatch(/^the docker driver cannot provide browser: docker exec hands a program only stdin/);
    // and netns offers it
    expect(capabilitiesOf('netns')).toContain('browser');
    expect(capabilitiesOf('docker')).not.toContain('browser');
  });
});
