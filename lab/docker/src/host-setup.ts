/**
 * The shell script a lab host runs as its container starts (pure text, unit-tested): give each
 * interface the topology's name (Docker names them eth0, eth1… in an order of its own), set the
 * host's routes (a site host's default route goes through its router; internet hosts and routers
 * have none, so nothing reaches a site from outside), and on a router load its NAT and firewall
 * table. The container's log line `lab host ready` is what its wait strategy waits for.
 */
import { shellQuote } from '@multiclaw-lab/kit';
import { type Host, ROUTER_TABLE, routerInterfaces, routerRuleset, type Topology } from '@multiclaw-lab/network';

export const READY_LINE = 'lab host ready';

export function hostSetupScript(topology: Topology, host: Host): string {
  const lines = ['set -eu'];
  // first every interface to a temporary name, then to its own: Docker's eth1 may have to
  // become eth0 while its eth0 still exists
  host.interfaces.forEach((iface, index) => {
    lines.push(
      `dev=$(ip -o -4 addr show to ${iface.address} | sed -n 's/^[0-9]*: \\([^ @]*\\).*/\\1/p')`,
      `[ -n "$dev" ] || { echo "no interface holds ${iface.address}" >&2; exit 1; }`,
      `ip link set "$dev" down`,
      `ip link set "$dev" name lab-if${index}`,
    );
  });
  host.interfaces.forEach((iface, index) => {
    lines.push(`ip link set lab-if${index} name ${shellQuote(iface.name)}`, `ip link set ${shellQuote(iface.name)} up`);
  });
  // Docker's default route points at a gateway address that nobody holds (the bridges have none)
  lines.push('ip route del default 2>/dev/null || true');
  if (host.defaultGateway) lines.push(`ip route add default via ${host.defaultGateway}`);
  if (host.role === 'router') {
    const site = topology.sites.find((s) => s.router === host.id)!;
    const lanCidr = topology.segments.find((s) => s.id === site.lan)!.cidr;
    const { lan, wan } = routerInterfaces(topology, site);
    const ruleset = routerRuleset(ROUTER_TABLE, { lanInterface: lan, wanInterface: wan, lanCidr });
    lines.push(`nft -f - <<'RULES'\n${ruleset}RULES`);
  }
  lines.push(`echo ${shellQuote(READY_LINE)}`);
  return `${lines.join('\n')}\n`;
}
