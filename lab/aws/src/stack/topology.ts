/**
 * A deployed staging stack as the lab's topology, so the aws driver (and what runs on it) sees
 * the same shapes as on a lab of this machine: hosts with their roles and addresses, sites with
 * their desktops and neighbour. What differs is said here once:
 * - a host's one interface is its instance's network interface, with its VPC address;
 * - a site's router is the NAT gateway: the site names it (`sN-rtr`) but it is no host, and the
 *   site's LAN segment is the site's VPC, so "beyond the site" means beyond that VPC;
 * - the public names are not addresses of the lab's: they are DNS names in the stack's zone.
 */
import { CLOUD_VPC_CIDR, type StackOutputs, siteVpcCidr } from '@multiclaw-lab/deploy';
import type { Host, Segment, Site, Topology } from '@multiclaw-lab/network';
import { StackOutputsInvalidError } from '../errors.ts';
import type { ResolvedHost } from '../ssm/instances.ts';

/** Debian 12 on Nitro instances names its first network interface so */
export const INSTANCE_INTERFACE = 'ens5';

const siteNumber = (site: string): number => Number(/^s(\d+)$/.exec(site)?.[1] ?? Number.NaN);

export function stagingTopology(outputs: StackOutputs, running: readonly ResolvedHost[]): Topology {
  const address = new Map(running.map((r) => [r.hostId, r.privateAddress]));
  const segments: Segment[] = [{ id: 'cloud-vpc', kind: 'internet', cidr: CLOUD_VPC_CIDR }];
  const sites: Site[] = [];
  for (const site of outputs.sites) {
    const n = siteNumber(site.id);
    if (!Number.isInteger(n)) throw new StackOutputsInvalidError(outputs.stack, `site id ${JSON.stringify(site.id)} is not sN`);
    const lan = `${site.id}-lan`;
    segments.push({ id: lan, kind: 'site', cidr: siteVpcCidr(n), site: site.id });
    sites.push({
      id: site.id,
      router: `${site.id}-rtr`,
      lan,
      wanAddress: site.natAddress,
      lanAddress: '',
      desktops: [...site.desktops],
      neighbour: site.neighbour,
    });
  }
  const cloudIds = running.map((r) => r.hostId).filter((id) => /^cloud(-\d+)?$/.test(id));
  // the outputs list the cloud as one host; its instances are the auto scaling group's, as found running
  const listed = [...cloudIds.map((id) => ({ id, role: 'cloud' as const })), ...outputs.hosts.filter((h) => h.role !== 'cloud')];
  const hosts: Host[] = listed.map((h) => {
    const at = address.get(h.id);
    const site = 'site' in h ? h.site : undefined;
    return {
      id: h.id,
      role: h.role,
      ...(site ? { site } : {}),
      interfaces: at
        ? [{ name: INSTANCE_INTERFACE, segment: site ? `${site}-lan` : 'cloud-vpc', address: at, prefixLength: 32 }]
        : [],
      hosts: {},
    };
  });
  return { segments, hosts, sites, names: {} };
}
