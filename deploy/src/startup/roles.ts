/**
 * What each instance role needs: Debian packages (a subset of the docker driver's base image, so
 * an AMI built from the same list needs no mirror), and the services it runs from the bundle.
 */
import { BASE_PACKAGES } from '@multiclaw-lab/docker/images';
import type { InstanceRole } from '../outputs.ts';

export type BasePackage = (typeof BASE_PACKAGES)[number];

/** Where things live on an instance. */
export const PATHS = {
  root: '/opt/multiclaw-lab',
  node: '/opt/multiclaw-lab/bin/node',
  /** symlink to the current release (an unpacked bundle) */
  app: '/opt/multiclaw-lab/app',
  releases: '/opt/multiclaw-lab/releases',
  downloads: '/opt/multiclaw-lab/downloads',
  config: '/etc/multiclaw-lab',
  secrets: '/etc/multiclaw-lab/secrets',
  /** where the services' output goes when systemd is not there to take it (containers) */
  logs: '/var/log/multiclaw-lab',
  pids: '/run/multiclaw-lab',
} as const;

export interface ServiceSpec {
  /** systemd unit name (without .service), also its state folder under /var/lib */
  name: string;
  /** the system account it runs as */
  account: string;
  description: string;
  /** argv; a leading `node` is the installed Node, paths under `app/` are inside the release */
  command: readonly string[];
  /** run before `command`, as the same account (writes derived config) */
  prepare?: readonly string[];
  /** plain environment the role always sets (the stack's `env` adds to and overrides it) */
  env: Readonly<Record<string, string>>;
  /** binds a port below 1024 (443): the only capability it keeps */
  privilegedPort: boolean;
  /** what answers 2xx once it is up (the script waits for it) */
  health?: HealthProbe;
}

/** A GET on the instance: an HTTPS URL, or an HTTP URL over a unix socket. */
export interface HealthProbe {
  url: string;
  /** the unix socket the request goes through (the URL's host is then only a name) */
  socket?: string;
}

export interface RolePlan {
  packages: readonly BasePackage[];
  services: readonly ServiceSpec[];
}

/**
 * On every instance: fetching (curl, ca-certificates), certificates (openssl), and what the aws
 * driver runs over SSM for faults, captures, clocks and programs (nftables, iproute2, procps,
 * tcpdump, libfaketime, util-linux).
 */
const COMMON: readonly BasePackage[] = [
  'curl',
  'ca-certificates',
  'openssl',
  'iproute2',
  'nftables',
  'procps',
  'tcpdump',
  // every lab process follows the instance's lab clock; setpriv runs the driver's programs as an account
  'libfaketime',
  'util-linux',
];

const state = (name: string) => `/var/lib/${name}`;

const cloud: ServiceSpec = {
  name: 'multiclaw-cloud',
  account: 'mc-cloud',
  description: 'MultiClaw lab cloud (REST and WSS behind the load balancer)',
  command: ['node', 'app/lab/cloud/src/main.ts'],
  env: { CLOUD_HOST: '0.0.0.0', CLOUD_PORT: '443' },
  privilegedPort: true,
  health: { url: 'https://127.0.0.1:443/healthz' },
};

const LLM_ADMIN_SOCKET = `${state('multiclaw-llm')}/admin.sock`;

const llm: ServiceSpec = {
  name: 'multiclaw-llm',
  account: 'mc-llm',
  description: 'MultiClaw lab LLM provider',
  command: ['node', 'app/lab/external/src/main-llm.ts'],
  env: { LLM_HOST: '0.0.0.0', LLM_PORT: '443', LLM_ADMIN_SOCKET },
  privilegedPort: true,
  // The provider has no health route: its public API is POST /v1/chat/completions alone, and
  // every public request (a 401 or 404 too) lands in the call log scenarios read. GET /admin/keys
  // on its admin socket answers 200 and logs no call; the provider opens that socket only once
  // its TLS listener listens, so an answer there means both are up.
  health: { url: 'http://localhost/admin/keys', socket: LLM_ADMIN_SOCKET },
};

const relay: ServiceSpec = {
  name: 'multiclaw-relay',
  account: 'mc-relay',
  description: 'MultiClaw lab TURN relay (coturn)',
  prepare: ['node', 'app/deploy/src/startup/runtime/coturn-config.ts'],
  command: ['/usr/bin/turnserver', '-c', `${state('multiclaw-relay')}/turnserver.conf`],
  env: { TURN_CONFIG_OUT: `${state('multiclaw-relay')}/turnserver.conf`, TURN_TLS_PORT: '443' },
  privilegedPort: true,
};

const gateway = (mode: 'local' | 'daemon'): ServiceSpec => ({
  name: 'multiclaw-gateway',
  account: 'mc-gateway',
  description: `MultiClaw lab gateway (${mode})`,
  command: ['node', 'app/lab/gateway/src/main.ts'],
  env: { GATEWAY_MODE: mode, HOME: state('multiclaw-gateway') },
  privilegedPort: false,
});

export const ROLE_PLANS: Record<InstanceRole, RolePlan> = {
  cloud: { packages: COMMON, services: [cloud] },
  relay: { packages: [...COMMON, 'coturn'], services: [relay] },
  llm: { packages: COMMON, services: [llm] },
  // the desktop simulator is a command the driver runs (over SSM) next to the gateway service
  'cloud-desktop': { packages: COMMON, services: [gateway('daemon')] },
  desktop: { packages: COMMON, services: [gateway('local')] },
  // nothing runs: the probes are commands the driver sends
  neighbour: { packages: [...COMMON, 'socat', 'nmap'], services: [] },
};

/** The role's packages, checked against the base image's list (a typo would otherwise surface only at boot). */
export function rolePackages(role: InstanceRole): readonly BasePackage[] {
  const known = new Set<string>(BASE_PACKAGES);
  const packages = ROLE_PLANS[role].packages;
  for (const p of packages) if (!known.has(p)) throw new Error(`role ${role} names ${p}, which is not in BASE_PACKAGES`);
  return packages;
}
