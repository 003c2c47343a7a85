/**
 * Every name the netns driver gives things. Everything carries the lab's prefix (namespaces,
 * /etc/netns folders) or lives inside a namespace that does (bridges, veth peers, nft tables),
 * which is what lets teardown find all of it after the harness was killed, and nothing else.
 */
import { BadPrefixError } from './errors.ts';
import type { Host, Topology } from './topology.ts';
import { TopologyError } from './topology.ts';

export const DEFAULT_PREFIX = 'mcl';

/** No "-" in a prefix: `<prefix>-` then never matches another lab's namespaces. */
const PREFIX_RE = /^[a-z][a-z0-9]{0,7}$/;

export function checkPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new BadPrefixError(prefix);
  return prefix;
}

export function hostNamespace(prefix: string, hostId: string): string {
  return `${prefix}-${hostId}`;
}

export function fabricNamespace(prefix: string): string {
  return `${prefix}-fabric`;
}

export function belongsToPrefix(prefix: string, name: string): boolean {
  return name.startsWith(`${prefix}-`);
}

/** Linux interface names are at most 15 bytes. */
const IFNAMSIZ = 15;

/** The fabric-side end of a host interface's veth: `<hostId>-i<n>` (host ids are ≤ 10 chars). */
export function vethPeerName(host: Host, interfaceIndex: number): string {
  const name = `${host.id}-i${interfaceIndex}`;
  if (name.length > IFNAMSIZ) throw new TopologyError(`interface name ${name} is longer than ${IFNAMSIZ} characters`);
  return name;
}

/** One bridge per segment in the fabric namespace, named after the segment. */
export function bridgeName(segmentId: string): string {
  if (segmentId.length > IFNAMSIZ) throw new TopologyError(`segment id ${segmentId} is longer than ${IFNAMSIZ} characters`);
  return segmentId;
}

/** nft tables the driver owns; faults get `lab_<kind>_<n>`. */
export const ROUTER_TABLE = 'lab_router';

export function faultTable(kind: string, seq: number): string {
  return `lab_${kind}_${seq}`;
}

export function checkTopologyNames(topology: Topology): void {
  for (const segment of topology.segments) bridgeName(segment.id);
  for (const host of topology.hosts) for (let i = 0; i < host.interfaces.length; i++) vethPeerName(host, i);
}
