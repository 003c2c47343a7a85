/**
 * What a driver cannot give a scenario, and why: a scenario that needs it is shown as skipped
 * on that driver with this reason (never silently left out). The netns driver can do all of it.
 */
import type { DriverName } from '@multiclaw-lab/network';
import { CAPABILITIES, type Capability } from './define.ts';

export const DRIVER_LIMITS: Record<DriverName, Partial<Record<Capability, string>>> = {
  netns: {},
  docker: {
    browser:
      'docker exec hands a program only stdin, stdout and stderr, and the lab drives Chromium over descriptors 3 and 4 (the host image has no Chromium either)',
  },
  aws: {
    'link-faults':
      'toxiproxy runs on a site’s router, and a staging site’s router is a NAT gateway: nothing of the lab’s can run on it',
    dpi: 'the interception proxy runs on a site’s router, and a staging site’s router is a NAT gateway',
    proxy: 'the corporate proxy runs on a site’s router, and a staging site’s router is a NAT gateway',
    'process-faults':
      'the database is RDS, which has no process to pause or kill, and the cloud’s instances are replaced by their auto scaling group rather than restarted in place',
    browser:
      'Systems Manager hands a program only stdin, stdout and stderr, and the lab drives Chromium over descriptors 3 and 4',
    'host-files':
      'an instance’s disk is not this machine’s: the scenario reads host files from the harness’s own disk, and the aws driver reaches instances only through Systems Manager',
    'ca-key':
      'a staging stack’s CA key is not kept after deploy (only its certificates are), so nothing can be issued during a run',
    'update-cdn':
      'the stack’s update CDN is S3 and CloudFront, not the lab’s CDN replica with its admin API for publishing signed releases',
  },
};

/** The capabilities a driver offers. */
export function capabilitiesOf(driver: DriverName): Capability[] {
  return CAPABILITIES.filter((c) => DRIVER_LIMITS[driver][c] === undefined);
}

/** Why `driver` cannot run something that needs `missing`, one reason per capability. */
export function limitReason(driver: DriverName, missing: Capability[]): string {
  return missing.map((c) => `${c}: ${DRIVER_LIMITS[driver][c] ?? 'not offered'}`).join('; ');
}
