/**
 * coturn's configuration on the relay instance, from the environment the stack gives the relay
 * service: the same settings as the local lab's coturn (lab/infra), with the instance's own
 * addresses (0.0.0.0 behind the Elastic IP's 1:1 NAT) instead of the lab's address checks.
 *
 * As in the local lab, the relay must not become a way into the operator's own hosts: the
 * stack names the cloud VPC's range (TURN_DENIED_PEER_CIDRS) and every CreatePermission for an
 * address in it gets 403. The link-local range is always refused too: the instance metadata
 * service (the relay's role credentials), the VPC's DNS and time servers live there, are not
 * filtered by security groups, and coturn relays TCP as well as UDP (RFC 6062).
 */
import { TLS12_AEAD_CIPHERS } from '../../../../lab/pki/src/tls-policy.ts';

export class TurnConfigError extends Error {
  readonly code = 'DEPLOY_TURN_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The relay port range when the stack names none (the local lab's default). */
export const DEFAULT_RELAY_PORTS = { min: 49152, max: 65535 } as const;

/** Refused on every instance, whatever the stack says: link-local (IMDS, Amazon DNS, time sync). */
export const ALWAYS_DENIED_PEERS = ['169.254.0.0/16'] as const;

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new TurnConfigError(`${name} is not set: the relay's environment file must carry it`);
  return value;
}

function port(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535)
    throw new TurnConfigError(`${name}="${text}" is not a port number (1-65535)`);
  return value;
}

/** `first-last` of an IPv4 CIDR, the range form coturn's denied-peer-ip takes. */
export function cidrToRange(cidr: string): string {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(match?.[5]);
  if (!match || octets.some((o) => o > 255) || prefix > 32)
    throw new TurnConfigError(`"${cidr}" in TURN_DENIED_PEER_CIDRS is not an IPv4 CIDR (a.b.c.d/n)`);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  const address = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  return `${address(first)}-${address(first + size - 1)}`;
}

/** The relay's relay-port range: TURN_MIN_PORT..TURN_MAX_PORT, clear of its listening ports. */
export function relayPorts(env: Env): { min: number; max: number } {
  const min = port(env, 'TURN_MIN_PORT', DEFAULT_RELAY_PORTS.min);
  const max = port(env, 'TURN_MAX_PORT', DEFAULT_RELAY_PORTS.max);
  if (min >= max) throw new TurnConfigError(`relay port range ${min}-${max} is empty: TURN_MIN_PORT must be below TURN_MAX_PORT`);
  // coturn also takes the port after each listening port (its RFC 5780 alternate port)
  for (const name of ['TURN_PORT', 'TURN_TLS_PORT']) {
    const listening = port(env, name, name === 'TURN_PORT' ? 3478 : 443);
    for (const p of [listening, listening + 1])
      if (p >= min && p <= max) throw new TurnConfigError(`${name} ${listening} lies inside the relay port range ${min}-${max}`);
  }
  return { min, max };
}

export function deniedPeers(env: Env): string[] {
  const fromStack = (env.TURN_DENIED_PEER_CIDRS ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return [...fromStack, ...ALWAYS_DENIED_PEERS].map(cidrToRange);
}

/** turnserver.conf for `out` (its pid file and user database sit beside it). */
export function turnserverConf(env: Env, secret: string, out: string): string {
  if (!secret || /\s/.test(secret)) throw new TurnConfigError('the TURN shared secret is empty or contains whitespace');
  const externalIp = env.TURN_EXTERNAL_IP;
  const { min, max } = relayPorts(env);
  const lines = [
    '# generated at start by the relay service; do not edit',
    `listening-ip=${env.TURN_LISTENING_IP || '0.0.0.0'}`,
    ...(externalIp ? [`external-ip=${externalIp}`] : []),
    `listening-port=${port(env, 'TURN_PORT', 3478)}`,
    `tls-listening-port=${port(env, 'TURN_TLS_PORT', 443)}`,
    `cert=${required(env, 'TURN_TLS_CERT_FILE')}`,
    `pkey=${required(env, 'TURN_TLS_KEY_FILE')}`,
    'no-tlsv1',
    'no-tlsv1_1',
    `cipher-list=${TLS12_AEAD_CIPHERS}`,
    'no-dtls',
    ...deniedPeers(env).map((range) => `denied-peer-ip=${range}`),
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `realm=${required(env, 'TURN_REALM')}`,
    `min-port=${min}`,
    `max-port=${max}`,
    'fingerprint',
    'no-cli',
    'no-multicast-peers',
    'no-software-attribute',
    'log-file=stdout',
    'verbose',
    `pidfile=${out}.pid`,
    `userdb=${out}.db`,
  ];
  return `${lines.join('\n')}\n`;
}
