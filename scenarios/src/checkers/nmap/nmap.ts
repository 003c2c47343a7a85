/**
 * nmap (Debian's) from two places a stranger could stand: the neighbour host on site s1's LAN
 * (another device on the desktop's network) and a host on the internet segment (the LLM
 * provider's). Each scans every lab address it is given, all TCP ports and a bounded set of UDP
 * ports, and the open ports must be what the pages document (expected.ts). The site router's LAN
 * side is not scanned: it is the lab's stand-in for the customer's network (its link proxies live
 * there), not part of MultiClaw; its internet side is.
 */
import { readFile, rm } from 'node:fs/promises';
import type { Topology } from '@multiclaw-lab/network';
import { type CheckerFinding, defineChecker } from '../checker.ts';
import { evidenceOf, evidencePath, execInHost, findProgram } from '../tools.ts';
import { judgeHost, type Target, UDP_PORTS } from './expected.ts';
import { parseNmapXml } from './parse.ts';

export interface Vantage {
  hostId: string;
  /** the addresses it scans, each with the role that decides what may be open */
  targets: Target[];
}

/** Who scans whom: the first site's neighbour, and the LLM provider's host on the internet segment. */
export function vantages(topology: Topology): Vantage[] {
  const internet = (id: string) => topology.hosts.find((h) => h.id === id)?.interfaces.find((i) => i.segment === 'internet');
  const site = topology.sites[0];
  const out: Vantage[] = [];
  const everyHost = (from: string, reachable: (segment: string) => boolean): Target[] =>
    topology.hosts
      .filter((h) => h.id !== from)
      .flatMap((h) =>
        h.interfaces
          // a router's LAN side is the lab's plumbing (see above); its internet side is scanned
          .filter((i) => !(h.role === 'router' && i.segment !== 'internet'))
          .map((i) => ({ hostId: h.id, role: h.role, address: i.address, reachable: reachable(i.segment) })),
      );
  if (site)
    out.push({ hostId: site.neighbour, targets: everyHost(site.neighbour, (seg) => seg === site.lan || seg === 'internet') });
  if (internet('llm')) out.push({ hostId: 'llm', targets: everyHost('llm', (seg) => seg === 'internet') });
  return out;
}

/**
 * SYN scan of every TCP port and the UDP list, no DNS, no ping (-Pn: a host that drops
 * everything is still scanned). Everything is on veth pairs in one machine: short round-trip
 * timeouts and a floor on the rate keep the unreachable addresses from taking minutes.
 */
export function nmapArgs(addresses: readonly string[], xmlFile: string): string[] {
  return [
    '-n',
    '-Pn',
    '-sS',
    '-sU',
    '-p',
    `T:1-65535,U:${UDP_PORTS.join(',')}`,
    '--max-retries',
    '1',
    '--max-rtt-timeout',
    '200ms',
    '--min-rate',
    '10000',
    '-oX',
    xmlFile,
    ...addresses,
  ];
}

export default defineChecker({
  id: 'nmap',
  title: 'from a neighbour and from the internet, only the documented ports are open',
  claims: ['NS-03', 'NS-45', 'NS-46', 'NS-47'],
  timeoutMs: 420_000,
  async run(ctx) {
    const program = findProgram('nmap');
    if (!program)
      return {
        status: 'skipped',
        summary: 'nmap is not installed',
        reason: 'nmap is not installed: pnpm lab doctor --install (Debian package nmap)',
        findings: [],
        evidence: [],
      };
    const plan = vantages(ctx.lab.topology);
    if (plan.length === 0)
      return {
        status: 'not-enough-evidence',
        summary: 'no host to scan from',
        reason: 'the lab has no site neighbour and no LLM host',
        findings: [],
        evidence: [],
      };
    const findings: CheckerFinding[] = [];
    const evidence = [];
    const counts: string[] = [];
    // one scan at a time: each keeps a core busy
    for (const vantage of plan) {
      const file = await evidencePath(ctx, 'nmap', `from-${vantage.hostId}.xml`);
      await rm(file, { force: true });
      const addresses = vantage.targets.map((t) => t.address);
      ctx.onProgress(`nmap: ${addresses.length} addresses from ${vantage.hostId}`);
      const result = await execInHost(ctx.lab, vantage.hostId, program, nmapArgs(addresses, file), {
        timeoutMs: 300_000,
        // a UDP scan needs raw sockets
        user: 'root',
      });
      const xml = await readFile(file, 'utf8').catch(() => undefined);
      if (xml === undefined || result.code !== 0) {
        findings.push({
          target: vantage.hostId,
          message: `nmap failed (exit ${result.code}): ${(result.stderr || result.stdout).trim().slice(-400)}`,
        });
        continue;
      }
      evidence.push(await evidenceOf(ctx, file, `nmap from ${vantage.hostId}`, 'text'));
      const run = parseNmapXml(xml);
      if (!run.finished) findings.push({ target: vantage.hostId, message: 'the nmap scan did not finish' });
      for (const target of vantage.targets)
        findings.push(
          ...judgeHost(
            target,
            run.hosts.find((h) => h.address === target.address),
            vantage.hostId,
          ),
        );
      const open = run.hosts.flatMap((h) =>
        h.ports.filter((p) => p.state === 'open').map((p) => `${h.address}:${p.port}/${p.protocol}`),
      );
      counts.push(`from ${vantage.hostId}: ${addresses.length} addresses, open ${open.join(' ') || 'none'}`);
    }
    return {
      status: findings.length === 0 ? 'passed' : 'failed',
      summary: `all TCP ports and ${UDP_PORTS.length} UDP ports; ${counts.join('; ')}`,
      findings,
      evidence,
    };
  },
});
