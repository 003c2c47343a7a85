import { buildTopology } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { cidrRange, cloudSidePeers } from './relay-policy.ts';

describe('the relay refuses the cloud side as peers', () => {
  it('turns a CIDR into the range coturn takes', () => {
    expect(cidrRange('198.18.1.0/24')).toBe('198.18.1.0-198.18.1.255');
    expect(cidrRange('198.18.0.0/15')).toBe('198.18.0.0-198.19.255.255');
  });

  it('denies the private segment and the cloud, CDN and LLM hosts, never a cloud desktop or a site', () => {
    const topology = buildTopology({ sites: 2, cloudDesktops: 1 });
    const denied = cloudSidePeers(topology);
    expect(denied).toEqual(expect.arrayContaining(['198.18.1.0-198.18.1.255', '198.18.0.10', '198.18.0.30', '198.18.0.40']));
    const peers = topology.hosts.filter((h) => h.role === 'cloud-desktop' || h.role === 'router').flatMap((h) => h.interfaces);
    for (const i of peers) expect(denied).not.toContain(i.address);
    expect(denied).not.toContain('198.18.0.20');
  });
});
