/**
 * nftables rulesets as text, built from data (no machine access here, so they are unit-tested
 * as strings and loaded with `nft -f -`). Every ruleset is one table: the router's base table
 * or one table per fault, so healing a fault is deleting its table and disturbs nothing else.
 *
 * Where faults hook in: a chain on `prerouting` at priority -150 (after conntrack, before the
 * `redirect` at dstnat -100, so it still sees the original destination port even for traffic
 * steered into toxiproxy/mitmproxy) and one on `postrouting` (sees both forwarded and locally
 * made packets). A fault's `drop` wins over any other table's `accept`, so faults compose.
 */
import { BadFaultError } from './errors.ts';

export const PRIORITY = { raw: -300, mangle: -150, dstnat: -100, filter: 0, srcnat: 100 } as const;

export type Proto = 'tcp' | 'udp';

/** Which packets a fault applies to. */
export type EdgeScope =
  /** a site's link to the internet: everything in and out of the router's WAN interface */
  | { kind: 'site'; wanInterface: string }
  /** a host: everything in and out of any of its interfaces except loopback */
  | { kind: 'host' }
  /**
   * a host's traffic with everything beyond its own network `cidr`: a site's internet link seen
   * from one of its hosts, where the site's router is not a machine of the lab's (a cloud NAT gateway)
   */
  | { kind: 'beyond'; cidr: string };

function q(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new BadFaultError(`unsafe nft name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function checkAddress(address: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(address))
    throw new BadFaultError(`not an IPv4 address: ${JSON.stringify(address)}`);
  return address;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BadFaultError(`not a port: ${port}`);
  return port;
}

export interface RouterRules {
  lanInterface: string;
  wanInterface: string;
  lanCidr: string;
}

/**
 * A home/office router: masquerade LAN → WAN; forward only established/related plus new
 * LAN → WAN connections; nothing from the WAN may open a connection to the router itself or
 * through it (so even a host that had a route to the LAN could not get in).
 */
export function routerRuleset(table: string, r: RouterRules): string {
  const lan = q(r.lanInterface);
  const wan = q(r.wanInterface);
  return `table ip ${table} {
  chain forward {
    type filter hook forward priority ${PRIORITY.filter}; policy drop;
    ct state established,related accept
    iifname ${lan} oifname ${wan} ct state new accept
  }
  chain input {
    type filter hook input priority ${PRIORITY.filter}; policy accept;
    iifname ${wan} ct state established,related accept
    iifname ${wan} drop
  }
  chain postrouting {
    type nat hook postrouting priority ${PRIORITY.srcnat}; policy accept;
    ip saddr ${checkAddress(r.lanCidr)} oifname ${wan} masquerade
  }
}
`;
}

function edgeMatches(scope: EdgeScope): { inbound: string; outbound: string } {
  if (scope.kind === 'site') return { inbound: `iifname ${q(scope.wanInterface)}`, outbound: `oifname ${q(scope.wanInterface)}` };
  if (scope.kind === 'beyond') {
    const cidr = checkAddress(scope.cidr);
    return { inbound: `iifname != "lo" ip saddr != ${cidr}`, outbound: `oifname != "lo" ip daddr != ${cidr}` };
  }
  return { inbound: 'iifname != "lo"', outbound: 'oifname != "lo"' };
}

/** A table that drops, in both directions at the scope's edge, the packets `match` selects. */
export function edgeDropRuleset(table: string, scope: EdgeScope, match: string | DirectedMatch): string {
  const { inbound, outbound } = edgeMatches(scope);
  const both = typeof match === 'string' ? { inbound: match, outbound: match } : match;
  const ruleIn = both.inbound ? `${both.inbound} drop` : 'drop';
  const ruleOut = both.outbound ? `${both.outbound} drop` : 'drop';
  return `table ip ${table} {
  chain inbound {
    type filter hook prerouting priority ${PRIORITY.mangle}; policy accept;
    ${inbound} ${ruleIn}
  }
  chain outbound {
    type filter hook postrouting priority ${PRIORITY.mangle}; policy accept;
    ${outbound} ${ruleOut}
  }
}
`;
}

/** a match that differs by direction: inbound packets come from the peer, outbound ones go to it */
export interface DirectedMatch {
  inbound: string;
  outbound: string;
}

export const match = {
  udp: (): string => 'meta l4proto udp',
  /** UDP to and from one peer address only (a firewall that allows UDP elsewhere) */
  udpWithPeer: (address: string): DirectedMatch => {
    // lab peers only: 198.18.0.0/15
    if (!/^198\.1[89]\.\d{1,3}\.\d{1,3}$/.test(checkAddress(address)))
      throw new BadFaultError(`${address} is not a lab host address (198.18.0.0/15)`);
    return { inbound: `meta l4proto udp ip saddr ${address}`, outbound: `meta l4proto udp ip daddr ${address}` };
  },
  port: (proto: Proto, port: number): string => `${proto === 'udp' ? 'udp' : 'tcp'} dport ${checkPort(port)}`,
  share: (percent: number): string => {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100)
      throw new BadFaultError(`drop share must be 0–100 %, not ${percent}`);
    // nft takes numgen values 0–99 only: 100 % is "everything"
    return percent === 100 ? '' : `numgen random mod 100 < ${percent}`;
  },
  all: (): string => '',
};

export interface AllowedDestination {
  address: string;
  port: number;
  proto?: Proto; // default tcp
}

/**
 * Proxy-only egress: what arrives from the LAN may go to the router itself (where squid
 * listens) and to the allowed destinations, nothing else. Filtered before `redirect`, so
 * traffic steered into the router's transparent proxies is held back too; the router's own
 * processes are not affected (their packets never arrive on the LAN interface).
 */
export function proxyOnlyRuleset(
  table: string,
  lanInterface: string,
  routerLanAddress: string,
  allow: AllowedDestination[],
): string {
  const allowed = allow.map(
    (a) => `    ip daddr ${checkAddress(a.address)} ${a.proto === 'udp' ? 'udp' : 'tcp'} dport ${checkPort(a.port)} accept`,
  );
  return `table ip ${table} {
  chain inbound {
    type filter hook prerouting priority ${PRIORITY.mangle}; policy accept;
    iifname != ${q(lanInterface)} accept
    ip daddr ${checkAddress(routerLanAddress)} accept
${allowed.join('\n')}${allowed.length ? '\n' : ''}    drop
  }
}
`;
}

export interface Redirect {
  toAddress: string;
  toPort: number;
  localPort: number;
}

/** Steers LAN TCP to toAddress:toPort into a proxy on the router (`redirect to :localPort`). */
export function redirectRuleset(table: string, lanInterface: string, r: Redirect): string {
  return `table ip ${table} {
  chain prerouting {
    type nat hook prerouting priority ${PRIORITY.dstnat}; policy accept;
    iifname ${q(lanInterface)} ip daddr ${checkAddress(r.toAddress)} tcp dport ${checkPort(r.toPort)} redirect to :${checkPort(r.localPort)}
  }
}
`;
}
