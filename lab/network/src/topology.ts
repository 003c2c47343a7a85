/**
 * The lab's network as data: segments (layer-2 networks), hosts with their interfaces, sites
 * with a router, and the `.test` names. Drivers (netns now; docker and aws later) make it real;
 * nothing here touches the machine. Every address comes from 198.18.0.0/15:
 *
 *   internet        198.18.0.0/24   cloud .10, relay (coturn) .20, cdn .30, llm .40,
 *                                   cloud desktops .101…, site routers' WAN .201…
 *   cloud-private   198.18.1.0/24   cloud .10, db .20
 *   site N          198.19.N.0/24   router .1, desktops .11…, neighbour .50
 */
import { LabError } from '@multiclaw-lab/kit';

export type SegmentKind = 'internet' | 'cloud-private' | 'site';

export interface Segment {
  id: string; // e.g. 'internet', 'cloud-private', 's1-lan'
  kind: SegmentKind;
  cidr: string; // e.g. '198.18.0.0/24'
  site?: string; // for site LANs
}

export type HostRole = 'cloud' | 'db' | 'relay' | 'cdn' | 'llm' | 'cloud-desktop' | 'router' | 'desktop' | 'neighbour';

export interface Interface {
  name: string; // inside the host, e.g. 'eth0'
  segment: string;
  address: string; // without prefix length
  prefixLength: number;
}

export interface Host {
  id: string; // short, [a-z0-9-], ≤ 10 chars: it becomes part of namespace and link names
  role: HostRole;
  interfaces: Interface[];
  /** next hop of the default route, if the host has one */
  defaultGateway?: string;
  site?: string;
  /** names this host resolves (its /etc/hosts); the internet names for everyone */
  hosts: Record<string, string>;
}

export interface Site {
  id: string; // 's1', 's2', …
  router: string; // host id
  lan: string; // segment id
  wanAddress: string;
  lanAddress: string;
  desktops: string[]; // host ids
  neighbour: string; // host id
}

export interface Topology {
  segments: Segment[];
  hosts: Host[];
  sites: Site[];
  /** the public names and the internet addresses behind them */
  names: Record<string, string>;
}

export interface TopologyOptions {
  sites?: number; // default 1, 1–50
  desktops?: number; // per site, default 1, 1–20
  cloudDesktops?: number; // default 1, 0–50
}

export const LAB_SUPERNET = '198.18.0.0/15';

/**
 * Ports the harness's own probes (UDP echo, TCP listeners started by scenarios) use. No MultiClaw
 * component ever listens there, so an egress audit can tell the lab's probes from the product.
 */
export const PROBE_PORTS = { min: 40_900, max: 40_999 } as const;

export const PUBLIC_NAMES = {
  api: 'api.multiclaw.test',
  turn: 'turn.multiclaw.test',
  cdn: 'cdn.multiclaw.test',
  llm: 'api.llm.test',
} as const;

export class TopologyError extends LabError {
  constructor(message: string) {
    super('LAB_BAD_TOPOLOGY', message);
  }
}

function count(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new TopologyError(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  return n;
}

export function buildTopology(options: TopologyOptions = {}): Topology {
  const siteCount = count('--sites', options.sites, 1, 1, 50);
  const desktopCount = count('--desktops', options.desktops, 1, 1, 20);
  const cloudDesktopCount = count('cloud desktops', options.cloudDesktops, 1, 0, 50);

  const names: Record<string, string> = {
    [PUBLIC_NAMES.api]: '198.18.0.10',
    [PUBLIC_NAMES.turn]: '198.18.0.20',
    [PUBLIC_NAMES.cdn]: '198.18.0.30',
    [PUBLIC_NAMES.llm]: '198.18.0.40',
  };
  const segments: Segment[] = [
    { id: 'internet', kind: 'internet', cidr: '198.18.0.0/24' },
    { id: 'cloud-private', kind: 'cloud-private', cidr: '198.18.1.0/24' },
  ];
  const hosts: Host[] = [];
  const internetHost = (id: string, role: HostRole, address: string, extra: Interface[] = []): Host => ({
    id,
    role,
    interfaces: [{ name: 'eth0', segment: 'internet', address, prefixLength: 24 }, ...extra],
    hosts: { ...names },
  });

  hosts.push(
    internetHost('cloud', 'cloud', '198.18.0.10', [
      { name: 'eth1', segment: 'cloud-private', address: '198.18.1.10', prefixLength: 24 },
    ]),
  );
  hosts.push({
    id: 'db',
    role: 'db',
    interfaces: [{ name: 'eth0', segment: 'cloud-private', address: '198.18.1.20', prefixLength: 24 }],
    hosts: { 'db.multiclaw.internal': '198.18.1.20' },
  });
  hosts[0]!.hosts['db.multiclaw.internal'] = '198.18.1.20';
  hosts.push(internetHost('relay', 'relay', '198.18.0.20'));
  hosts.push(internetHost('cdn', 'cdn', '198.18.0.30'));
  hosts.push(internetHost('llm', 'llm', '198.18.0.40'));
  for (let i = 1; i <= cloudDesktopCount; i++) hosts.push(internetHost(`cd${i}`, 'cloud-desktop', `198.18.0.${100 + i}`));

  const sites: Site[] = [];
  for (let s = 1; s <= siteCount; s++) {
    const site = `s${s}`;
    const lan = `${site}-lan`;
    const wanAddress = `198.18.0.${200 + s}`;
    const lanAddress = `198.19.${s}.1`;
    segments.push({ id: lan, kind: 'site', cidr: `198.19.${s}.0/24`, site });
    hosts.push({
      id: `${site}-rtr`,
      role: 'router',
      site,
      interfaces: [
        { name: 'wan', segment: 'internet', address: wanAddress, prefixLength: 24 },
        { name: 'lan', segment: lan, address: lanAddress, prefixLength: 24 },
      ],
      hosts: { ...names },
    });
    const siteHost = (id: string, role: HostRole, address: string): Host => ({
      id,
      role,
      site,
      interfaces: [{ name: 'eth0', segment: lan, address, prefixLength: 24 }],
      defaultGateway: lanAddress,
      hosts: { ...names },
    });
    const desktops: string[] = [];
    for (let d = 1; d <= desktopCount; d++) {
      const id = `${site}-d${d}`;
      desktops.push(id);
      hosts.push(siteHost(id, 'desktop', `198.19.${s}.${10 + d}`));
    }
    hosts.push(siteHost(`${site}-nb`, 'neighbour', `198.19.${s}.50`));
    sites.push({ id: site, router: `${site}-rtr`, lan, wanAddress, lanAddress, desktops, neighbour: `${site}-nb` });
  }
  return { segments, hosts, sites, names };
}

export function hostById(topology: Topology, id: string): Host {
  const host = topology.hosts.find((h) => h.id === id);
  if (!host) throw new TopologyError(`no host ${JSON.stringify(id)}; hosts: ${topology.hosts.map((h) => h.id).join(', ')}`);
  return host;
}

/** The first address of a host (the one its services listen on). */
export function addressOf(topology: Topology, id: string): string {
  return hostById(topology, id).interfaces[0]!.address;
}

/** True when `address` (dotted quad) lies inside 198.18.0.0/15. */
export function inLabSupernet(address: string): boolean {
  const [a, b] = address.split('.').map(Number);
  return a === 198 && (b === 18 || b === 19);
}
