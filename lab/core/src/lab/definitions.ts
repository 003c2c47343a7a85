/**
 * How each MultiClaw component runs, defined once: its process entry, its environment and how
 * it says it is ready. The lab starts these in its hosts (names, addresses and port 443 as the
 * product has them); the loopback stack starts the same definitions on 127.0.0.1 with port 0 and
 * its own URLs, so a variable added here reaches both.
 */
import { join } from 'node:path';
import { bridgeCommand } from '@multiclaw-lab/infra';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { BROWSER_VIEWER_ORIGIN } from '../browser-viewer/origin.ts';
import { type ComponentName, componentCommand } from '../components.ts';
import { acceptsOnSocket, desktopConnected, gatewayLocalApi, httpsGet, instanceConnected } from './health.ts';
import type { ServiceDef } from './service.ts';

export interface HostFiles {
  home: string;
  trustBundle: string;
  trustDir: string;
  /** what makes a process follow its host's clock (libfaketime, from the driver) */
  clockEnv: Record<string, string>;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** The TURN URLs the cloud hands out (the lab's relay by its public name). */
export const LAB_TURN_URLS = [
  `stun:${PUBLIC_NAMES.turn}:3478`,
  `turn:${PUBLIC_NAMES.turn}:3478?transport=udp`,
  `turns:${PUBLIC_NAMES.turn}:443?transport=tcp`,
];

const baseEnv = (files: HostFiles, logLevel: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  LANG: 'C.UTF-8',
  HOME: files.home,
  LOG_LEVEL: logLevel,
  SSL_CERT_FILE: files.trustBundle,
  SSL_CERT_DIR: files.trustDir,
  ...files.clockEnv,
});

const node = (component: ComponentName, extra: string[] = []) => componentCommand(component, extra);

export function cloudDef(o: {
  host: string;
  address: string;
  /**
   * one of several instances behind a balancer: its service id (also its CLOUD_NODE) and port;
   * it listens on the host's loopback, and its health is checked there, not through the balancer
   */
  instance?: { id: string; address: string; port: number };
  /** default 443; 0 picks a free port (the ready line names it) */
  port?: number;
  files: HostFiles;
  tls: TlsFiles;
  databaseUrl: string;
  /** files; `tlsTicketKeys`, when given, is shared by every instance (as one TLS endpoint's would be) */
  secrets: { tokenSecret: string; masterKey: string; turnSecret: string; tlsTicketKeys?: string };
  logLevel: string;
  turnUrls?: string[];
  /** web origins whose pages may call the REST API; default: the lab's browser viewer page */
  corsOrigins?: string[];
  env?: NodeJS.ProcessEnv;
}): ServiceDef {
  const id = o.instance?.id ?? 'cloud';
  const healthz = `https://${PUBLIC_NAMES.api}/healthz`;
  return {
    id,
    kind: 'cloud',
    group: 'cloud',
    host: o.host,
    ...node('cloud'),
    env: {
      ...baseEnv(o.files, o.logLevel),
      DATABASE_URL: o.databaseUrl,
      // names this process in every log line it writes (which instance served what)
      CLOUD_NODE: id,
      CLOUD_HOST: o.instance?.address ?? o.address,
      CLOUD_PORT: String(o.instance?.port ?? o.port ?? 443),
      CLOUD_TLS_CERT_FILE: o.tls.certFile,
      CLOUD_TLS_KEY_FILE: o.tls.keyFile,
      CLOUD_TOKEN_SECRET_FILE: o.secrets.tokenSecret,
      CLOUD_MASTER_KEY_FILE: o.secrets.masterKey,
      CLOUD_TURN_SECRET_FILE: o.secrets.turnSecret,
      ...(o.secrets.tlsTicketKeys ? { CLOUD_TLS_TICKET_KEYS_FILE: o.secrets.tlsTicketKeys } : {}),
      CLOUD_TURN_URLS: (o.turnUrls ?? LAB_TURN_URLS).join(','),
      // the browser viewer's page (served on 127.0.0.1 inside the viewer's host) calls the REST API
      CLOUD_CORS_ORIGINS: (o.corsOrigins ?? [BROWSER_VIEWER_ORIGIN]).join(','),
      ...o.env,
    },
    readyTimeoutMs: 60_000,
    health: o.instance
      ? httpsGet(healthz, (status) => status === 200, `${o.instance.address}:${o.instance.port}`)
      : httpsGet(healthz, (status) => status === 200),
  };
}

export function llmDef(o: {
  host: string;
  address: string;
  files: HostFiles;
  tls: TlsFiles;
  adminSocket: string;
  logLevel: string;
  /** default 443; 0 picks a free port */
  port?: number;
}): ServiceDef {
  return {
    id: 'llm',
    kind: 'llm',
    host: o.host,
    ...node('llm'),
    env: {
      ...baseEnv(o.files, o.logLevel),
      LLM_TLS_CERT_FILE: o.tls.certFile,
      LLM_TLS_KEY_FILE: o.tls.keyFile,
      LLM_HOST: o.address,
      LLM_PORT: String(o.port ?? 443),
      LLM_ADMIN_SOCKET: o.adminSocket,
    },
    // any answer over verified TLS: the provider is serving (its routes need a key)
    health: httpsGet(`https://${PUBLIC_NAMES.llm}/v1/models`),
  };
}

export function cdnDef(o: {
  host: string;
  address: string;
  files: HostFiles;
  tls: TlsFiles;
  adminSocket: string;
  logLevel: string;
  /** default 443 behind https://cdn.multiclaw.test; 0 picks a free port and the CDN names its own URL */
  port?: number;
}): ServiceDef {
  const port = o.port ?? 443;
  return {
    id: 'cdn',
    kind: 'cdn',
    host: o.host,
    ...node('cdn'),
    env: {
      ...baseEnv(o.files, o.logLevel),
      CDN_TLS_CERT_FILE: o.tls.certFile,
      CDN_TLS_KEY_FILE: o.tls.keyFile,
      CDN_HOST: o.address,
      CDN_PORT: String(port),
      CDN_ADMIN_SOCKET: o.adminSocket,
      ...(port === 443 ? { CDN_PUBLIC_URL: `https://${PUBLIC_NAMES.cdn}` } : {}),
    },
    health: httpsGet(`https://${PUBLIC_NAMES.cdn}/updates/none/latest.json`),
  };
}

export function gatewayDef(o: {
  id: string;
  host: string;
  files: HostFiles;
  logLevel: string;
  env?: NodeJS.ProcessEnv;
  /** a daemon gateway (cloud desktop) is provisioned with its instance; default cloud: the public name */
  provision?: { workspaceId: string; instanceId: string; instanceToken: string; cloudUrl?: string };
}): ServiceDef {
  const env: NodeJS.ProcessEnv = { ...baseEnv(o.files, o.logLevel), GATEWAY_MODE: o.provision ? 'daemon' : 'local', ...o.env };
  if (o.provision) {
    Object.assign(env, {
      GATEWAY_CLOUD_URL: o.provision.cloudUrl ?? `https://${PUBLIC_NAMES.api}`,
      GATEWAY_WORKSPACE_ID: o.provision.workspaceId,
      GATEWAY_INSTANCE_ID: o.provision.instanceId,
      GATEWAY_INSTANCE_TOKEN: o.provision.instanceToken,
    });
  }
  return {
    id: o.id,
    kind: o.provision ? 'daemon' : 'gateway',
    host: o.host,
    ...node('gateway'),
    env,
    health: o.provision ? instanceConnected : gatewayLocalApi,
  };
}

export function desktopDef(o: {
  id: string;
  host: string;
  files: HostFiles;
  updatePublicKey: string;
  logLevel: string;
  env?: NodeJS.ProcessEnv;
  /** defaults: the public names, the profile in HOME, the gateway beside it in the same HOME */
  cloudUrl?: string;
  cdnUrl?: string;
  profileDir?: string;
  /** false: the app has no local gateway */
  gatewayHome?: string | false;
  /** the lab checks connections every 2 s and gives up after 3 s, so reconnects are quick to see */
  heartbeat?: { intervalMs: number; timeoutMs: number };
}): ServiceDef {
  const heartbeat = o.heartbeat ?? { intervalMs: 2_000, timeoutMs: 3_000 };
  const gatewayHome = o.gatewayHome ?? o.files.home;
  return {
    id: o.id,
    kind: 'desktop-sim',
    host: o.host,
    ...node('desktop-sim', ['serve']),
    env: {
      ...baseEnv(o.files, o.logLevel),
      DESKTOP_PROFILE_DIR: o.profileDir ?? join(o.files.home, '.multiclaw-desktop'),
      DESKTOP_CLOUD_URL: o.cloudUrl ?? `https://${PUBLIC_NAMES.api}`,
      ...(gatewayHome === false ? {} : { DESKTOP_GATEWAY_HOME: gatewayHome }),
      DESKTOP_CDN_URL: o.cdnUrl ?? `https://${PUBLIC_NAMES.cdn}`,
      DESKTOP_UPDATE_PUBKEY: o.updatePublicKey,
      DESKTOP_DEVICE_NAME: o.host,
      DESKTOP_HEARTBEAT_INTERVAL_MS: String(heartbeat.intervalMs),
      DESKTOP_HEARTBEAT_TIMEOUT_MS: String(heartbeat.timeoutMs),
      ...o.env,
    },
    health: desktopConnected,
  };
}

export function bridgeDef(o: { id: string; host: string; socketPath: string; target: string; port: number }): ServiceDef {
  return {
    id: o.id,
    kind: 'bridge',
    host: o.host,
    ...bridgeCommand(o.socketPath, o.target, o.port),
    env: { PATH: process.env.PATH },
    health: acceptsOnSocket(o.socketPath),
  };
}
