import type { Lab } from '@multiclaw-lab/core';
import { buildTopology } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { defineScenario } from './define.ts';
import { ScenarioRunner } from './runner.ts';

/** A lab that has only a topology: enough for the runner to decide what it cannot run. */
function labWith(desktops: number): Lab {
  return { topology: buildTopology({ desktops }) } as unknown as Lab;
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
    expect(result.skipReason).toBe('the driver cannot provide: dpi, clock');
  });
});
