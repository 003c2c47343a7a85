/**
 * The ports the staging stack opens, taken from the help centre's "Outbound connections and
 * ports" table (docs/network-security.md): MultiClaw Cloud 443 (HTTPS, WSS), the relay 443
 * (TURN over TLS) and 3478, 5349 (UDP), the CDN 443, LLM providers 443. The security groups
 * are built from this table and the policy rules check the stack against the same table, so
 * the two cannot drift apart.
 */

/** Tag on every security group saying what it guards; the public-ingress rule reads it. */
export const SG_PURPOSE_TAG = 'multiclaw-lab:sg';

export type SecurityGroupPurpose = 'alb' | 'cloud' | 'database' | 'relay' | 'llm' | 'cloud-desktop' | 'desktop' | 'neighbour';

export interface PortRange {
  protocol: 'tcp' | 'udp';
  fromPort: number;
  toPort: number;
  /** what it carries (also the security group rule's description) */
  purpose: string;
}

/**
 * TURN relay allocations (coturn's relay ports). The stack takes any range inside the IANA
 * dynamic range, which is also coturn's default range; the policy rules accept no wider one.
 */
export const RELAY_PORT_LIMITS = { min: 49152, max: 65535 } as const;

export const PORTS = {
  /** MultiClaw Cloud API + WebSocket, and the LLM replica, both behind the load balancer */
  https: 443,
  /** the cloud's instances listen with TLS too: the load balancer re-encrypts to them */
  cloudInstance: 443,
  llmInstance: 443,
  postgres: 5432,
  relay: { tls: 443, udp: 3478, dtls: 5349 },
  relayRange: RELAY_PORT_LIMITS,
} as const;

/** What may be reached from anywhere (0.0.0.0/0), by security group purpose. */
export function publicIngress(
  purpose: SecurityGroupPurpose,
  relayPorts: { min: number; max: number } = RELAY_PORT_LIMITS,
): PortRange[] {
  switch (purpose) {
    case 'alb':
      return [{ protocol: 'tcp', fromPort: PORTS.https, toPort: PORTS.https, purpose: 'HTTPS and WSS (cloud API, LLM replica)' }];
    case 'relay':
      return [
        { protocol: 'tcp', fromPort: PORTS.relay.tls, toPort: PORTS.relay.tls, purpose: 'TURN over TLS (turns:) on 443' },
        { protocol: 'udp', fromPort: PORTS.relay.udp, toPort: PORTS.relay.udp, purpose: 'STUN/TURN over UDP' },
        { protocol: 'udp', fromPort: PORTS.relay.dtls, toPort: PORTS.relay.dtls, purpose: 'TURN over DTLS' },
        { protocol: 'udp', fromPort: relayPorts.min, toPort: relayPorts.max, purpose: 'TURN relay allocations' },
      ];
    default:
      return [];
  }
}

/** True when a public (0.0.0.0/0 or ::/0) ingress of `purpose` matches the documented table. */
export function isDocumentedPublicIngress(purpose: string | undefined, range: Omit<PortRange, 'purpose'>): boolean {
  if (purpose === 'alb') return range.protocol === 'tcp' && range.fromPort === PORTS.https && range.toPort === PORTS.https;
  if (purpose !== 'relay') return false;
  const single = (protocol: string, port: number) =>
    range.protocol === protocol && range.fromPort === port && range.toPort === port;
  if (single('tcp', PORTS.relay.tls) || single('udp', PORTS.relay.udp) || single('udp', PORTS.relay.dtls)) return true;
  return (
    range.protocol === 'udp' &&
    range.fromPort >= RELAY_PORT_LIMITS.min &&
    range.toPort <= RELAY_PORT_LIMITS.max &&
    range.fromPort <= range.toPort
  );
}
