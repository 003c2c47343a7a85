/**
 * nmap's XML output (`-oX`), read for what the checker needs: per scanned address, each port
 * nmap listed with its protocol and state, and whether the scan finished. nmap's XML is regular
 * (one element per line, attributes in a fixed order), so a few patterns read it without an XML
 * library; anything unexpected makes the parse fail rather than pass quietly.
 */

export type PortState = 'open' | 'closed' | 'filtered' | 'open|filtered' | 'closed|filtered' | 'unfiltered';

export interface ScannedPort {
  protocol: 'tcp' | 'udp';
  port: number;
  state: PortState;
  /** nmap's guess from its services table (not probed) */
  service?: string;
}

export interface ScannedHost {
  address: string;
  /** up, down (nmap's own view; with -Pn every host is "up") */
  status: string;
  ports: ScannedPort[];
  /** ports not listed one by one: state → how many */
  extraPorts: Record<string, number>;
}

export interface NmapRun {
  args: string;
  finished: boolean;
  /** nmap's closing summary, e.g. "9 IP addresses (9 hosts up) scanned in 41.2 seconds" */
  summary: string;
  hosts: ScannedHost[];
}

const attr = (element: string, name: string): string | undefined =>
  new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1]?.replaceAll('&quot;', '"').replaceAll('&amp;', '&');

export function parseNmapXml(xml: string): NmapRun {
  const run = /<nmaprun\b[^>]*>/.exec(xml)?.[0];
  if (!run) throw new Error('not nmap XML output: no <nmaprun> element');
  const finished = /<finished\b[^>]*>/.exec(xml)?.[0];
  const hosts: ScannedHost[] = [];
  for (const block of xml.match(/<host\b[\s\S]*?<\/host>/g) ?? []) {
    const address = [...block.matchAll(/<address\b[^>]*>/g)].map((m) => m[0]).find((a) => attr(a, 'addrtype') === 'ipv4');
    if (!address) throw new Error('an nmap <host> without an IPv4 address');
    const ports: ScannedPort[] = [];
    for (const m of block.matchAll(/<port\b([^>]*)>([\s\S]*?)<\/port>/g)) {
      const protocol = attr(m[0], 'protocol');
      const state = /<state\b[^>]*>/.exec(m[2] ?? '')?.[0];
      const service = /<service\b[^>]*>/.exec(m[2] ?? '')?.[0];
      if ((protocol !== 'tcp' && protocol !== 'udp') || !state) throw new Error(`an nmap <port> I cannot read: ${m[0]}`);
      const name = service ? attr(service, 'name') : undefined;
      ports.push({
        protocol,
        port: Number(attr(m[0], 'portid')),
        state: attr(state, 'state') as PortState,
        ...(name ? { service: name } : {}),
      });
    }
    const extraPorts: Record<string, number> = {};
    for (const m of block.matchAll(/<extraports\b[^>]*>/g)) {
      const state = attr(m[0], 'state') ?? 'unknown';
      extraPorts[state] = (extraPorts[state] ?? 0) + Number(attr(m[0], 'count') ?? 0);
    }
    const status = /<status\b[^>]*>/.exec(block)?.[0];
    hosts.push({ address: attr(address, 'addr')!, status: (status && attr(status, 'state')) ?? 'unknown', ports, extraPorts });
  }
  return {
    args: attr(run, 'args') ?? '',
    finished: finished !== undefined && attr(finished, 'exit') === 'success',
    summary: (finished && attr(finished, 'summary')) ?? '',
    hosts,
  };
}
