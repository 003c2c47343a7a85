/**
 * Makes a topology real as network namespaces. Order matters: namespaces first (a veth can
 * only be created into a namespace that exists), then the fabric's bridges and veth pairs,
 * then addresses and routes inside each host, then the routers' forwarding and firewall, then
 * the per-host files. Teardown on failure is the caller's job (it goes by prefix).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BadAddressError } from './errors.ts';
import { bridgeName, fabricNamespace, hostNamespace, ROUTER_TABLE, vethPeerName } from './names.ts';
import { routerRuleset } from './rules.ts';
import { ip, ipBatch, nft, sysctl } from './run.ts';
import { ETC_NETNS } from './teardown.ts';
import { type Host, inLabSupernet, type Site, type Topology, TopologyError } from './topology.ts';

export type Progress = (step: string) => void;

/** Runs `work` over `items`, at most `limit` at a time (each step forks `ip`, two cores here). */
export async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

export function routerInterfaces(topology: Topology, site: Site): { lan: string; wan: string } {
  const router = topology.hosts.find((h) => h.id === site.router)!;
  const lan = router.interfaces.find((i) => i.segment === site.lan);
  const wan = router.interfaces.find((i) => topology.segments.find((s) => s.id === i.segment)?.kind === 'internet');
  if (!lan || !wan)
    throw new TopologyError(`router ${router.id} needs one interface on ${site.lan} and one on the internet segment`);
  return { lan: lan.name, wan: wan.name };
}

/** /etc/hosts of a host: localhost, its own name, and the names the topology gives it. */
export function hostsFile(host: Host): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  if (host.interfaces[0]) lines.push(`${host.interfaces[0].address}\t${host.id}`);
  for (const [name, address] of Object.entries(host.hosts)) lines.push(`${address}\t${name}`);
  return `# written by the MultiClaw lab for host ${host.id}\n${lines.join('\n')}\n`;
}

/** No nameserver is reachable in the lab: names come from the hosts file; lookups of anything else fail fast. */
export function resolvConf(): string {
  return '# MultiClaw lab: no DNS in the lab; names come from /etc/hosts\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n';
}

function checkAddresses(topology: Topology): void {
  for (const host of topology.hosts) {
    for (const i of host.interfaces)
      if (!inLabSupernet(i.address)) throw new BadAddressError(i.address, `address of ${host.id}/${i.name}`);
    if (host.defaultGateway && !inLabSupernet(host.defaultGateway))
      throw new BadAddressError(host.defaultGateway, `gateway of ${host.id}`);
  }
}

export async function provision(topology: Topology, prefix: string, stateDir: string, progress: Progress): Promise<void> {
  checkAddresses(topology);
  const fabric = fabricNamespace(prefix);
  const nsOf = (host: Host) => hostNamespace(prefix, host.id);

  progress(`creating ${topology.hosts.length + 1} namespaces`);
  // The first `ip netns add` sets up /run/netns; the rest can then go in parallel.
  await ip(['netns', 'add', fabric]);
  await eachLimited(topology.hosts, 8, (h) => ip(['netns', 'add', nsOf(h)]).then(() => undefined));
  // New interfaces get no IPv6 (no link-local addresses outside the lab's plan); lo keeps ::1.
  await eachLimited([fabric, ...topology.hosts.map(nsOf)], 8, (ns) =>
    sysctl(ns, { 'net.ipv6.conf.default.disable_ipv6': 1 }).then(() => undefined),
  );

  progress(`creating ${topology.segments.length} segment bridges`);
  const fabricLines: string[] = [];
  for (const segment of topology.segments) {
    fabricLines.push(`link add name ${bridgeName(segment.id)} type bridge`, `link set ${bridgeName(segment.id)} up`);
  }
  for (const host of topology.hosts) {
    host.interfaces.forEach((iface, index) => {
      const peer = vethPeerName(host, index);
      fabricLines.push(
        `link add name ${peer} type veth peer name ${iface.name} netns ${nsOf(host)}`,
        `link set ${peer} master ${bridgeName(iface.segment)} up`,
      );
    });
  }
  await ipBatch(fabric, fabricLines);

  progress('addressing hosts');
  await eachLimited(topology.hosts, 8, async (host) => {
    const lines = ['link set lo up'];
    for (const iface of host.interfaces)
      lines.push(`addr add ${iface.address}/${iface.prefixLength} dev ${iface.name}`, `link set ${iface.name} up`);
    if (host.defaultGateway) lines.push(`route add default via ${host.defaultGateway}`);
    await ipBatch(nsOf(host), lines);
  });

  progress(`configuring ${topology.sites.length} site routers`);
  await eachLimited(topology.sites, 4, async (site) => {
    const ns = hostNamespace(prefix, site.router);
    const lanCidr = topology.segments.find((s) => s.id === site.lan)!.cidr;
    await sysctl(ns, { 'net.ipv4.ip_forward': 1 });
    const { lan, wan } = routerInterfaces(topology, site);
    await nft(ns, routerRuleset(ROUTER_TABLE, { lanInterface: lan, wanInterface: wan, lanCidr }));
  });

  progress('writing host files');
  await eachLimited(topology.hosts, 8, async (host) => {
    const etc = join(ETC_NETNS, nsOf(host));
    await mkdir(etc, { recursive: true });
    await writeFile(join(etc, 'hosts'), hostsFile(host));
    await writeFile(join(etc, 'resolv.conf'), resolvConf());
    const dir = join(stateDir, 'hosts', host.id);
    for (const sub of ['home', 'trust', 'etc']) await mkdir(join(dir, sub), { recursive: true });
    // an empty trust store until the harness puts the lab CA in: nothing is trusted by accident
    await writeFile(join(dir, 'trust', 'ca-certificates.crt'), '', { flag: 'a' });
  });
  await mkdir(join(stateDir, 'run'), { recursive: true });
  await writeFile(
    join(stateDir, 'run', 'netns.json'),
    `${JSON.stringify({ driver: 'netns', prefix, namespaces: [fabric, ...topology.hosts.map(nsOf)], createdAt: new Date().toISOString() }, null, 2)}\n`,
  );
}
