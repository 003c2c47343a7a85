import { readFileSync } from 'node:fs';
import { buildTopology } from '@multiclaw-lab/network';
import { describe, expect, it } from 'vitest';
import { EXPECTED_PORTS, judgeHost, type Target } from './expected.ts';
import { nmapArgs, vantages } from './nmap.ts';
import { parseNmapXml } from './parse.ts';

const sample = (name: string) => readFileSync(new URL(`samples/${name}`, import.meta.url), 'utf8');
/** nmap 7.93 from site s1's neighbour, all TCP ports, before coturn's plain TCP listener was turned off. */
const tcp = parseNmapXml(sample('tcp-from-neighbour-coturn-plain-tcp.xml'));
/** nmap 7.93 from the neighbour, a UDP list: only coturn answers; the rest is ICMP-limited silence. */
const udp = parseNmapXml(sample('udp-from-neighbour.xml'));
const host = (run: typeof tcp, address: string) => run.hosts.find((h) => h.address === address);
const target = (hostId: string, role: Target['role'], address: string, reachable = true): Target => ({
  hostId,
  role,
  address,
  reachable,
});

describe('nmap XML', () => {
  it('reads every scanned address with its listed ports, the rest counted', () => {
    expect(tcp.finished).toBe(true);
    expect(tcp.hosts.map((h) => h.address)).toEqual([
      '198.19.1.11',
      '198.19.1.1',
      '198.18.0.10',
      '198.18.0.20',
      '198.18.0.30',
      '198.18.0.40',
      '198.18.0.101',
      '198.18.0.201',
      '198.18.1.20',
    ]);
    expect(host(tcp, '198.18.0.20')?.ports).toEqual([
      { protocol: 'tcp', port: 443, state: 'open', service: 'https' },
      { protocol: 'tcp', port: 3478, state: 'open', service: 'stun' },
    ]);
    expect(host(tcp, '198.19.1.11')).toMatchObject({ ports: [], extraPorts: { closed: 65_535 } });
    expect(host(udp, '198.18.0.20')?.ports.find((p) => p.port === 3478)?.state).toBe('open');
  });

  it('refuses what is not nmap XML', () => {
    expect(() => parseNmapXml('<html></html>')).toThrow(/no <nmaprun>/);
  });
});

describe('open ports against the documented table', () => {
  it('finds the relay’s undocumented plain TCP 3478', () => {
    const findings = judgeHost(target('relay', 'relay', '198.18.0.20'), host(tcp, '198.18.0.20'), 's1-nb');
    expect(findings.map((f) => f.target)).toEqual([
      'relay (198.18.0.20) from s1-nb: 3478/tcp',
      'relay (198.18.0.20) from s1-nb: 3478/udp',
    ]);
    expect(findings[0]?.severity).toBe('undocumented');
    // the TCP-only sample has no UDP: the documented 3478/udp then shows as missing
    expect(findings[1]?.severity).toBe('missing');
  });

  it('passes the cloud, CDN, LLM and desktop as scanned, and the relay’s UDP', () => {
    expect(judgeHost(target('cloud', 'cloud', '198.18.0.10'), host(tcp, '198.18.0.10'), 's1-nb')).toEqual([]);
    expect(judgeHost(target('s1-d1', 'desktop', '198.19.1.11'), host(tcp, '198.19.1.11'), 's1-nb')).toEqual([]);
    const relayUdp = host(udp, '198.18.0.20')!;
    const findings = judgeHost(
      target('relay', 'relay', '198.18.0.20'),
      { ...relayUdp, ports: [...relayUdp.ports, ...host(tcp, '198.18.0.20')!.ports.filter((p) => p.port === 443)] },
      's1-nb',
    );
    expect(findings).toEqual([]);
  });

  it('fails an extra listener on a desktop, and anything answering on an address that should be unreachable', () => {
    const desktop = host(tcp, '198.19.1.11')!;
    const listening = { ...desktop, ports: [{ protocol: 'tcp' as const, port: 40_950, state: 'open' as const }] };
    expect(judgeHost(target('s1-d1', 'desktop', '198.19.1.11'), listening, 's1-nb').map((f) => f.message)).toEqual([
      'open, but the pages document no TCP port 40950 on a desktop host',
    ]);
    const cloud = host(tcp, '198.18.0.10')!;
    expect(judgeHost(target('cloud', 'cloud', '198.18.0.10', false), cloud, 'llm')).toHaveLength(1);
    expect(judgeHost(target('db', 'db', '198.18.1.20', false), host(tcp, '198.18.1.20'), 's1-nb')).toEqual([]);
  });

  it('documents 443/tcp for the cloud, CDN and LLM, 443/tcp and 3478, 5349/udp for the relay, and nothing else', () => {
    expect(EXPECTED_PORTS.relay.allowed).toEqual({ tcp: [443], udp: [3478, 5349] });
    for (const role of ['cloud', 'cdn', 'llm'] as const) expect(EXPECTED_PORTS[role].allowed).toEqual({ tcp: [443], udp: [] });
    for (const role of ['desktop', 'neighbour', 'router', 'cloud-desktop', 'db'] as const)
      expect(EXPECTED_PORTS[role].allowed).toEqual({ tcp: [], udp: [] });
  });
});

describe('who scans whom', () => {
  it('scans from the neighbour and from the internet, never a router’s LAN side, the database as unreachable', () => {
    const [neighbour, internet] = vantages(buildTopology({ desktops: 2 }));
    expect(neighbour?.hostId).toBe('s1-nb');
    expect(neighbour?.targets.map((t) => `${t.hostId}${t.reachable ? '' : ' (unreachable)'}`)).toEqual([
      'cloud',
      'cloud (unreachable)',
      'db (unreachable)',
      'relay',
      'cdn',
      'llm',
      'cd1',
      's1-rtr',
      's1-d1',
      's1-d2',
    ]);
    expect(internet?.hostId).toBe('llm');
    expect(internet?.targets.filter((t) => t.reachable).map((t) => t.hostId)).toEqual(['cloud', 'relay', 'cdn', 'cd1', 's1-rtr']);
    expect(nmapArgs(['198.18.0.10'], '/x.xml')).toEqual(expect.arrayContaining(['-sS', '-sU', '-oX', '/x.xml', '198.18.0.10']));
  });
});
