import { describe, expect, it } from 'vitest';
import { builtDriver, chooseDriver, DriverChoiceError, describeChoice } from './driver-choice.ts';

const linuxRoot = { isRoot: true, platform: 'linux' as const };
const linuxUser = { isRoot: false, platform: 'linux' as const };

describe('which driver makes the lab', () => {
  it('takes --driver over LAB_DRIVER and over the machine', () => {
    expect(chooseDriver({ ...linuxRoot, flag: 'docker', env: 'netns' })).toEqual({ driver: 'docker', reason: '--driver' });
    expect(chooseDriver({ ...linuxUser, flag: 'netns' })).toEqual({ driver: 'netns', reason: '--driver' });
  });

  it('takes LAB_DRIVER when there is no --driver, and refuses a value that names no driver', () => {
    expect(chooseDriver({ ...linuxRoot, env: 'docker' })).toEqual({ driver: 'docker', reason: 'LAB_DRIVER' });
    expect(chooseDriver({ ...linuxUser, env: 'netns' })).toEqual({ driver: 'netns', reason: 'LAB_DRIVER' });
    expect(() => chooseDriver({ ...linuxRoot, env: 'podman' })).toThrow(
      new DriverChoiceError('LAB_DRIVER is netns, docker or aws, not "podman"'),
    );
  });

  it('with neither: network namespaces when root on Linux, containers otherwise', () => {
    expect(chooseDriver(linuxRoot)).toEqual({ driver: 'netns', reason: 'root on Linux' });
    expect(chooseDriver({ ...linuxRoot, env: '' })).toEqual({ driver: 'netns', reason: 'root on Linux' });
    expect(chooseDriver(linuxUser)).toEqual({ driver: 'docker', reason: 'not root; the netns driver needs root' });
    expect(chooseDriver({ isRoot: true, platform: 'darwin' })).toEqual({
      driver: 'docker',
      reason: 'not Linux (darwin): no network namespaces',
    });
  });

  it('says the choice and its reason on one line', () => {
    expect(describeChoice({ driver: 'docker', reason: 'LAB_DRIVER' })).toBe('docker (LAB_DRIVER)');
  });

  it('refuses aws for making a lab (it attaches to a deployed stack), naming what to use instead', () => {
    expect(builtDriver({ driver: 'docker', reason: '--driver' })).toBe('docker');
    expect(() => builtDriver({ driver: 'aws', reason: '--driver' })).toThrow(
      /the aws driver makes no lab of its own: it attaches to a stack deployed with pnpm lab deploy; .*use --driver netns/,
    );
  });
});
