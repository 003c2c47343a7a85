import { addressOf } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { stackOutputsFixture } from '../testing/stack-outputs.ts';
import { stagingTopology } from './topology.ts';

const outputs = stackOutputsFixture();

describe('a deployed stack as the lab’s topology', () => {
  const topology = stagingTopology(outputs, [
    { hostId: 'cloud', instanceId: 'i-1', privateAddress: '198.18.2.10' },
    { hostId: 'cloud-2', instanceId: 'i-2', privateAddress: '198.18.3.10' },
    { hostId: 'relay', instanceId: 'i-3', privateAddress: '198.18.0.20' },
    { hostId: 's1-d1', instanceId: 'i-4', privateAddress: '198.18.129.140' },
    { hostId: 's1-nb', instanceId: 'i-5', privateAddress: '198.18.129.150' },
  ]);

  it('has every listed host and every running cloud instance, at its VPC address', () => {
    expect(topology.hosts.map((h) => h.id).sort()).toEqual(['cloud', 'cloud-2', 'relay', 's1-d1', 's1-nb']);
    expect(addressOf(topology, 'cloud-2')).toBe('198.18.3.10');
    expect(topology.hosts.find((h) => h.id === 's1-d1')).toMatchObject({ role: 'desktop', site: 's1' });
  });

  it('counts the cloud once per running instance, though the outputs list it as a host too (as the program does)', () => {
    const listed = { ...outputs, hosts: [{ id: 'cloud', role: 'cloud' as const }, ...outputs.hosts] };
    const hosts = stagingTopology(listed, [{ hostId: 'cloud', instanceId: 'i-1', privateAddress: '198.18.2.10' }]).hosts;
    expect(hosts.filter((h) => h.role === 'cloud').map((h) => h.id)).toEqual(['cloud']);
  });

  it('gives each site its VPC as its LAN, and a router that is no host (the NAT gateway)', () => {
    const site = topology.sites[0]!;
    expect(topology.segments.find((s) => s.id === site.lan)?.cidr).toBe('198.18.129.0/24');
    expect(site.wanAddress).toBe('198.18.7.12');
    expect(topology.hosts.some((h) => h.id === site.router)).toBe(false);
  });

  it('refuses a site id it cannot place in the address plan', () => {
    expect(() => stagingTopology({ ...outputs, sites: [{ ...outputs.sites[0]!, id: 'west' }] }, [])).toThrow(/not sN/);
  });
});
