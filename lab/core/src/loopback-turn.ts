import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CoturnHandle, freePort, localRunner, startCoturn } from '@multiclaw-lab/infra';
import { type LabCA, writeServerCertificate } from '@multiclaw-lab/pki';

/** A real coturn on 127.0.0.1 for the loopback stack (LoopbackStackOptions.turn). */
export interface LoopbackTurnOptions {
  /** STUN/TURN over UDP and TCP (the lab's 3478); default: a free port */
  listeningPort?: number;
  /** the TLS listener (the lab's 443); default: a free port */
  tlsListeningPort?: number;
  /**
   * Default 61000–64999: above Linux's ephemeral range (32768–60999), so a relay port never
   * collides with a client socket of the peers on the same machine.
   */
  relayPorts?: { min: number; max: number };
}

export const LOOPBACK_RELAY_PORTS = { min: 61_000, max: 64_999 } as const;

export interface LoopbackTurnPorts {
  listeningPort: number;
  tlsListeningPort: number;
  relayPorts: { min: number; max: number };
}

/** Picks the ports before the cloud starts: its CLOUD_TURN_URLS name them. */
export async function loopbackTurnPorts(options: LoopbackTurnOptions = {}): Promise<LoopbackTurnPorts> {
  const relayPorts = options.relayPorts ?? LOOPBACK_RELAY_PORTS;
  const inRelayRange = (p: number) => p >= relayPorts.min && p <= relayPorts.max;
  const listeningPort = options.listeningPort ?? (await freePort('127.0.0.1', inRelayRange));
  let tlsListeningPort = options.tlsListeningPort ?? (await freePort('127.0.0.1', inRelayRange));
  // coturn also takes the port after each listener (its RFC 5780 alternate port)
  while (Math.abs(tlsListeningPort - listeningPort) < 2) tlsListeningPort = await freePort('127.0.0.1', inRelayRange);
  return { listeningPort, tlsListeningPort, relayPorts };
}

/**
 * The URL list the cloud hands out, as the lab's (STUN, TURN/UDP, TURNS on the TLS port) plus
 * TURN/TCP, all on 127.0.0.1. werift resolves no lab names here, so addresses, not names.
 */
export function loopbackTurnUrls(ports: LoopbackTurnPorts): string[] {
  const { listeningPort: p, tlsListeningPort: t } = ports;
  return [
    `stun:127.0.0.1:${p}`,
    `turn:127.0.0.1:${p}?transport=udp`,
    `turn:127.0.0.1:${p}?transport=tcp`,
    `turns:127.0.0.1:${t}?transport=tcp`,
  ];
}

/**
 * Starts coturn with the cloud's shared secret (so the cloud's time-limited credentials work) and
 * a certificate from the stack's CA (so turns: verifies against the clients' trust store).
 * Loopback peers are allowed: every peer of the stack is on 127.0.0.1.
 */
export async function startLoopbackCoturn(init: {
  dir: string;
  ca: LabCA;
  secretFile: string;
  ports: LoopbackTurnPorts;
}): Promise<CoturnHandle> {
  const leaf = await init.ca.issue(['turn.multiclaw.test', 'localhost', '127.0.0.1']);
  const tls = await writeServerCertificate(join(init.dir, 'tls'), 'coturn', leaf);
  return startCoturn(localRunner, {
    listeningIp: '127.0.0.1',
    listeningPort: init.ports.listeningPort,
    tlsListeningPort: init.ports.tlsListeningPort,
    relayPorts: init.ports.relayPorts,
    certFile: tls.certFile,
    keyFile: tls.keyFile,
    staticAuthSecret: (await readFile(init.secretFile, 'utf8')).trim(),
    realm: 'multiclaw.test',
    stateDir: join(init.dir, 'coturn'),
    allowLoopbackPeers: true,
  });
}
