/**
 * Which ports each lab host may show open to a scan from another host, from the pages' table
 * "Outbound connections and ports" (network-security.md) and "opens no inbound ports":
 *
 *   cloud (api)        443/tcp                 HTTPS, WSS
 *   relay (turn)       443/tcp; 3478, 5349/udp signaling over TLS; media (5349 may be closed: no
 *                                              MultiClaw client uses DTLS, so the lab runs none)
 *   cdn                443/tcp                 the auto-updater
 *   LLM provider       443/tcp                 HTTPS
 *   desktops, cloud desktops, site routers, neighbours: nothing; the database: nothing (it sits
 *   on the cloud's private segment, reachable from the cloud alone)
 *
 * Anything open beyond `allowed` is a finding; anything in `required` that is not open too (a
 * service missing is a broken lab, and a scan that saw nothing proves nothing).
 */
import type { HostRole } from '@multiclaw-lab/network';
import type { CheckerFinding } from '../checker.ts';
import type { ScannedHost } from './parse.ts';

export interface PortSet {
  tcp: readonly number[];
  udp: readonly number[];
}

export interface ExpectedPorts {
  /** must be open */
  required: PortSet;
  /** may be open (includes required) */
  allowed: PortSet;
}

const nothing: ExpectedPorts = { required: { tcp: [], udp: [] }, allowed: { tcp: [], udp: [] } };
const https: ExpectedPorts = { required: { tcp: [443], udp: [] }, allowed: { tcp: [443], udp: [] } };

export const EXPECTED_PORTS: Readonly<Record<HostRole, ExpectedPorts>> = {
  cloud: https,
  relay: { required: { tcp: [443], udp: [3478] }, allowed: { tcp: [443], udp: [3478, 5349] } },
  cdn: https,
  llm: https,
  db: nothing,
  'cloud-desktop': nothing,
  router: nothing,
  desktop: nothing,
  neighbour: nothing,
};

/** UDP ports scanned on every host: the documented ones and a few that services commonly open. */
export const UDP_PORTS = [53, 67, 68, 69, 123, 137, 161, 443, 500, 1900, 3478, 3479, 4500, 5349, 5353, 19302] as const;

export interface Target {
  hostId: string;
  role: HostRole;
  address: string;
  /** false when the topology gives the scanner no route to it: then nothing at all may answer */
  reachable: boolean;
}

/**
 * Judges one scanned address against its role. TCP: every port nmap calls open. UDP: only ports
 * where a service answered (open); a UDP port nothing answered is open|filtered to nmap, which is
 * what every closed port looks like once the host's ICMP rate limit is spent, so it proves nothing
 * either way (the scenarios list the hosts' sockets for that).
 */
export function judgeHost(target: Target, scanned: ScannedHost | undefined, vantage: string): CheckerFinding[] {
  const where = `${target.hostId} (${target.address}) from ${vantage}`;
  // nmap lists no host it could not send a single probe to (no route): nothing answered there
  if (!scanned) return target.reachable ? [{ target: where, message: 'nmap reported nothing for this address' }] : [];
  const expected = target.reachable ? EXPECTED_PORTS[target.role] : nothing;
  const findings: CheckerFinding[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const open = scanned.ports.filter((p) => p.protocol === protocol && p.state === 'open').map((p) => p.port);
    for (const port of open) {
      if (!expected.allowed[protocol].includes(port)) {
        const service = scanned.ports.find((p) => p.protocol === protocol && p.port === port)?.service;
        findings.push({
          target: `${where}: ${port}/${protocol}`,
          message: `open, but the pages document no ${protocol.toUpperCase()} port ${port} on a ${target.role} host${service ? ` (nmap guesses ${service})` : ''}`,
          severity: 'undocumented',
        });
      }
    }
    for (const port of expected.required[protocol]) {
      if (!open.includes(port))
        findings.push({
          target: `${where}: ${port}/${protocol}`,
          message: `not open, but the ${target.role} must serve it (is the lab whole?)`,
          severity: 'missing',
        });
    }
  }
  return findings;
}
