import { join } from 'node:path';
import { faketimeEnv } from '@multiclaw-lab/kit';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { BROWSER_VIEWER_ORIGIN } from '../browser-viewer/origin.ts';
import { componentEntry } from '../components.ts';
import type { ServiceDef } from './service.ts';

/**
 * How each MultiClaw component runs in its host: the same process entries and environment
 * variables as on loopback (see LoopbackStack), with the lab's names, addresses and files.
 */
export interface HostFiles {
  home: string;
  trustBundle: string;
  trustDir: string;
  clockFile: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

const baseEnv = (files: HostFiles, logLevel: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  LANG: 'C.UTF-8',
  HOME: files.home,
  LOG_LEVEL: logLevel,
  SSL_CERT_FILE: files.trustBundle,
  SSL_CERT_DIR: files.trustDir,
  ...faketimeEnv(files.clockFile),
});

const node = (component: Parameters<typeof componentEntry>[0], extra: string[] = []) => ({
  command: process.execPath,
  args: [componentEntry(component), ...extra],
});

export function cloudDef(o: {
  host: string;
  address: string;
  files: HostFiles;
  tls: TlsFiles;
  databaseUrl: string;
  secrets: { tokenSecret: string; masterKey: string; turnSecret: string };
  logLevel: string;
}): ServiceDef {
  return {
    id: 'cloud',
    kind: 'cloud',
    host: o.host,
    ...node('cloud'),
    env: {
      ...baseEnv(o.files, o.logLevel),
      DATABASE_URL: o.databaseUrl,
      CLOUD_HOST: o.address,
      CLOUD_PORT: '443',
      CLOUD_TLS_CERT_FILE: o.tls.certFile,
      CLOUD_TLS_KEY_FILE: o.tls.keyFile,
      CLOUD_TOKEN_SECRET_FILE: o.secrets.tokenSecret,
      CLOUD_MASTER_KEY_FILE: o.secrets.masterKey,
      CLOUD_TURN_SECRET_FILE: o.secrets.turnSecret,
      CLOUD_TURN_URLS: `stun:${PUBLIC_NAMES.turn}:3478,turn:${PUBLIC_NAMES.turn}:3478?transport=udp,turns:${PUBLIC_NAMES.turn}:443?transport=tcp`,
      // the browser viewer's page (served on 127.0.0.1 inside the viewer's host) calls the REST API
      CLOUD_CORS_ORIGINS: BROWSER_VIEWER_ORIGIN,
    },
    readyTimeoutMs: 60_000,
  };
}

export function llmDef(o: {
  host: string;
  address: string;
  files: HostFiles;
  tls: TlsFiles;
  adminSocket: string;
  logLevel: string;
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
      LLM_PORT: '443',
      LLM_ADMIN_SOCKET: o.adminSocket,
    },
  };
}

export function cdnDef(o: {
  host: string;
  address: string;
  files: HostFiles;
  tls: TlsFiles;
  adminSocket: string;
  logLevel: string;
}): ServiceDef {
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
      CDN_PORT: '443',
      CDN_ADMIN_SOCKET: o.adminSocket,
      CDN_PUBLIC_URL: `https://${PUBLIC_NAMES.cdn}`,
    },
  };
}

export function gatewayDef(o: {
  id: string;
  host: string;
  files: HostFiles;
  logLevel: string;
  env?: NodeJS.ProcessEnv;
  provision?: { workspaceId: string; instanceId: string; instanceToken: string };
}): ServiceDef {
  const env: NodeJS.ProcessEnv = { ...baseEnv(o.files, o.logLevel), GATEWAY_MODE: o.provision ? 'daemon' : 'local', ...o.env };
  if (o.provision) {
    Object.assign(env, {
      GATEWAY_CLOUD_URL: `https://${PUBLIC_NAMES.api}`,
      GATEWAY_WORKSPACE_ID: o.provision.workspaceId,
      GATEWAY_INSTANCE_ID: o.provision.instanceId,
      GATEWAY_INSTANCE_TOKEN: o.provision.instanceToken,
    });
  }
  return { id: o.id, kind: o.provision ? 'daemon' : 'gateway', host: o.host, ...node('gateway'), env };
}

export function desktopDef(o: {
  id: string;
  host: string;
  files: HostFiles;
  updatePublicKey: string;
  logLevel: string;
  env?: NodeJS.ProcessEnv;
}): ServiceDef {
  return {
    id: o.id,
    kind: 'desktop-sim',
    host: o.host,
    ...node('desktop-sim', ['serve']),
    env: {
      ...baseEnv(o.files, o.logLevel),
      DESKTOP_PROFILE_DIR: join(o.files.home, '.multiclaw-desktop'),
      DESKTOP_CLOUD_URL: `https://${PUBLIC_NAMES.api}`,
      DESKTOP_GATEWAY_HOME: o.files.home,
      DESKTOP_CDN_URL: `https://${PUBLIC_NAMES.cdn}`,
      DESKTOP_UPDATE_PUBKEY: o.updatePublicKey,
      DESKTOP_DEVICE_NAME: o.host,
      DESKTOP_HEARTBEAT_INTERVAL_MS: '2000',
      DESKTOP_HEARTBEAT_TIMEOUT_MS: '3000',
      ...o.env,
    },
  };
}

export function bridgeDef(o: { id: string; host: string; socketPath: string; target: string; port: number }): ServiceDef {
  return {
    id: o.id,
    kind: 'bridge',
    host: o.host,
    command: process.execPath,
    args: [join(import.meta.dirname, 'unix-bridge.ts'), o.socketPath, o.target, String(o.port)],
    env: { PATH: process.env.PATH },
  };
}
