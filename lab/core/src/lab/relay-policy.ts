/**
 * Who the TURN relay may relay to. A relay reachable from the internet must not become a way into
 * the operator's own hosts: the cloud's private segment (the database), and the cloud, CDN and
 * LLM hosts on the public side are refused as peers. Cloud desktops and user sites stay peers:
 * carrying their streams is the relay's job.
 */
import type { Topology } from '@multiclaw-lab/network';

const CLOUD_SIDE_ROLES = new Set(['cloud', 'db', 'cdn', 'llm']);

/** `first-last` range of an IPv4 /prefix CIDR (coturn's denied-peer-ip takes ranges) */
export function cidrRange(cidr: string): string {
  const [base, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const toAddr = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  const size = 2 ** (32 - Number(bits));
  const first = toInt(base!) - (toInt(base!) % size);
  return `${toAddr(first)}-${toAddr(first + size - 1)}`;
}

/** the relay's denied peers for `topology`: every cloud-private segment and the cloud side's public addresses */
export function cloudSidePeers(topology: Topology): string[] {
  const segments = topology.segments.filter((s) => s.kind === 'cloud-private').map((s) => cidrRange(s.cidr));
  const hosts = topology.hosts
    .filter((h) => CLOUD_SIDE_ROLES.has(h.role))
    .flatMap((h) => h.interfaces.filter((i) => topology.segments.find((s) => s.id === i.segment)?.kind === 'internet'))
    .map((i) => i.address);
  return [...segments, ...hosts];
}
