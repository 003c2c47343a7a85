import { netnsDriver } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { LabBuilder } from './builder.ts';

describe('LabBuilder', () => {
  it('collects what to make, each step a new builder, leaving the one it came from as it was', () => {
    const base = new LabBuilder('/tmp/state').withSites(2);
    const progress = () => undefined;
    const varied = base
      .withDesktops(3)
      .withCloudDesktops(0)
      .withPrefix('mcx')
      .withDriver(netnsDriver)
      .withLogLevel('debug')
      .withProgress(progress);
    expect(base.options).toEqual({ stateDir: '/tmp/state', sites: 2 });
    expect(varied.options).toEqual({
      stateDir: '/tmp/state',
      sites: 2,
      desktops: 3,
      cloudDesktops: 0,
      prefix: 'mcx',
      driver: netnsDriver,
      logLevel: 'debug',
      onProgress: progress,
    });
  });
});
