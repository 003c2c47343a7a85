import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BACKOFF } from '@multiclaw-lab/kit';
import { HEARTBEAT } from '@multiclaw-lab/protocol';
import type { DesktopAppOptions } from './app.ts';
import { DesktopError } from './errors.ts';

/** Flag name (CLI) and environment variable of every option; flags win over the environment. */
export const OPTION_SOURCES = {
  profileDir: ['profile', 'DESKTOP_PROFILE_DIR'],
  cloudUrl: ['cloud-url', 'DESKTOP_CLOUD_URL'],
  gatewayHome: ['gateway-home', 'DESKTOP_GATEWAY_HOME'],
  cdnUrl: ['cdn-url', 'DESKTOP_CDN_URL'],
  updateChannel: ['update-channel', 'DESKTOP_UPDATE_CHANNEL'],
  updatePublicKey: ['update-pubkey', 'DESKTOP_UPDATE_PUBKEY'],
  updatePublicKeyFile: ['update-pubkey-file', 'DESKTOP_UPDATE_PUBKEY_FILE'],
  version: ['app-version', 'DESKTOP_VERSION'],
  deviceName: ['device-name', 'DESKTOP_DEVICE_NAME'],
  heartbeatIntervalMs: ['heartbeat-interval-ms', 'DESKTOP_HEARTBEAT_INTERVAL_MS'],
  heartbeatTimeoutMs: ['heartbeat-timeout-ms', 'DESKTOP_HEARTBEAT_TIMEOUT_MS'],
  backoffBaseMs: ['backoff-base-ms', 'DESKTOP_BACKOFF_BASE_MS'],
  backoffCapMs: ['backoff-cap-ms', 'DESKTOP_BACKOFF_CAP_MS'],
  webrtcHostAddresses: ['webrtc-host-addresses', 'DESKTOP_WEBRTC_HOST_ADDRESSES'],
} as const;

export type OptionName = keyof typeof OPTION_SOURCES;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new DesktopError('bad_option', `${name} must be a positive integer, not "${value}"`);
  return n;
}

/** Builds the app's options from parsed flags and the environment. */
export function optionsFrom(flags: Partial<Record<string, string>>, env: NodeJS.ProcessEnv): Omit<DesktopAppOptions, 'logger'> {
  const get = (name: OptionName): string | undefined => {
    const [flag, variable] = OPTION_SOURCES[name];
    const value = flags[flag] ?? env[variable];
    return value === '' ? undefined : value;
  };
  const cloudUrl = get('cloudUrl');
  if (!cloudUrl) {
    throw new DesktopError('bad_option', 'no cloud URL', { hint: 'pass --cloud-url https://... or set DESKTOP_CLOUD_URL' });
  }
  let updatePublicKey = get('updatePublicKey');
  const keyFile = get('updatePublicKeyFile');
  if (!updatePublicKey && keyFile) {
    try {
      updatePublicKey = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw new DesktopError('bad_option', `cannot read the update public key file ${keyFile}`, { cause: err });
    }
  }
  const intervalMs = positiveInt('DESKTOP_HEARTBEAT_INTERVAL_MS', get('heartbeatIntervalMs'));
  const timeoutMs = positiveInt('DESKTOP_HEARTBEAT_TIMEOUT_MS', get('heartbeatTimeoutMs'));
  const baseMs = positiveInt('DESKTOP_BACKOFF_BASE_MS', get('backoffBaseMs'));
  const capMs = positiveInt('DESKTOP_BACKOFF_CAP_MS', get('backoffCapMs'));
  const options: Omit<DesktopAppOptions, 'logger'> = {
    profileDir: get('profileDir') ?? join(homedir(), '.multiclaw-desktop'),
    cloudUrl,
  };
  const gatewayHome = get('gatewayHome');
  if (gatewayHome) options.gatewayHome = gatewayHome;
  const cdnUrl = get('cdnUrl');
  if (cdnUrl) options.cdnUrl = cdnUrl;
  const channel = get('updateChannel');
  if (channel) options.updateChannel = channel;
  if (updatePublicKey) options.updatePublicKey = updatePublicKey;
  const version = get('version');
  if (version) options.version = version;
  const deviceName = get('deviceName');
  if (deviceName) options.deviceName = deviceName;
  if (intervalMs || timeoutMs)
    options.heartbeat = { intervalMs: intervalMs ?? HEARTBEAT.intervalMs, timeoutMs: timeoutMs ?? HEARTBEAT.timeoutMs };
  if (baseMs || capMs) options.backoff = { baseMs: baseMs ?? DEFAULT_BACKOFF.baseMs, capMs: capMs ?? DEFAULT_BACKOFF.capMs };
  const hostAddresses = get('webrtcHostAddresses')
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (hostAddresses?.length) options.webrtcHostAddresses = hostAddresses;
  return options;
}
