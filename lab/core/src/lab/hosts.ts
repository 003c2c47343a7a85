/**
 * What the lab does inside one host through the driver alone: the host's files as the
 * components see them, a runner for third-party programs, a command from `lab exec`, an HTTPS
 * probe with curl (how a fault is checked to have taken effect and healed), and the host's clock.
 */
import { join } from 'node:path';
import type { HostRunner } from '@multiclaw-lab/infra';
import { LabError } from '@multiclaw-lab/kit';
import { type ExecResult, type LabDriver, SERVICE_OPEN_FILES } from '@multiclaw-lab/network';
import type { HostFiles } from './definitions.ts';

export function hostFiles(driver: LabDriver, hostId: string): HostFiles {
  const dir = driver.hostDir(hostId);
  return {
    home: join(dir, 'home'),
    trustDir: join(dir, 'trust'),
    trustBundle: join(dir, 'trust', 'ca-certificates.crt'),
    clockEnv: driver.clockEnv(hostId),
  };
}

/** Runs third-party programs (lab/infra) inside a host. */
export function runnerIn(driver: LabDriver, hostId: string): HostRunner {
  // what runs here are services (relay, site links, proxies): they get the raised open-file limit
  return {
    spawn: (command, args, options) => driver.spawn(hostId, command, args, { ...options, openFiles: SERVICE_OPEN_FILES }),
  };
}

/** A command line inside a host, as `lab exec` runs it: the host's HOME, a minute at most. */
export function execIn(driver: LabDriver, hostId: string, argv: string[]): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (!command) throw new LabError('LAB_BAD_EXEC', 'exec needs a command');
  return driver.exec(hostId, command, args, {
    env: { PATH: process.env.PATH, HOME: hostFiles(driver, hostId).home },
    timeoutMs: 60_000,
  });
}

export interface HttpsProbeResult {
  ok: boolean;
  status: number;
  timeMs: number;
  bytes: number;
  error?: string;
}

export interface HttpsProbeOptions {
  timeoutMs?: number;
  proxy?: string;
  untilClose?: boolean;
  /** `address:port` to connect to instead of what the URL's name resolves to */
  connectTo?: string;
}

/**
 * An HTTPS request from inside a host with curl, trusting that host's trust store: the probe
 * a fault is checked with (it fails while the fault is on and passes after heal).
 */
export async function httpsProbe(
  driver: LabDriver,
  hostId: string,
  url: string,
  options: HttpsProbeOptions = {},
): Promise<HttpsProbeResult> {
  const files = hostFiles(driver, hostId);
  const seconds = String((options.timeoutMs ?? 3_000) / 1000);
  const args = ['-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total} %{size_download}', '--max-time', seconds];
  args.push('--cacert', files.trustBundle);
  if (options.proxy) args.push('--proxy', options.proxy);
  // the URL's name (SNI, certificate check) but this address: one instance behind a balancer
  if (options.connectTo) args.push('--connect-to', `::${options.connectTo}`);
  // read until the server closes the connection, not just to the end of the body
  if (options.untilClose) args.push('--http1.1', '-H', 'Connection: close', '--ignore-content-length');
  args.push(url);
  const result = await driver.exec(hostId, 'curl', args, {
    env: { PATH: process.env.PATH, HOME: files.home },
    timeoutMs: (options.timeoutMs ?? 3_000) + 5_000,
  });
  const [code, time, size] = result.stdout.trim().split(' ');
  const status = Number(code) || 0;
  const timeMs = Math.round(Number(time) * 1000) || 0;
  const bytes = Number(size) || 0;
  return result.code === 0 && status > 0 && status < 500
    ? { ok: true, status, timeMs, bytes }
    : { ok: false, status, timeMs, bytes, error: result.stderr.trim() || `exit ${result.code}` };
}

/** The wall clock (ms) that processes on `hostId` see, read through that host's libfaketime. */
export async function hostNow(driver: LabDriver, hostId: string): Promise<number> {
  const env = { PATH: process.env.PATH, ...driver.clockEnv(hostId) };
  const result = await driver.exec(hostId, 'date', ['+%s%3N'], { env, timeoutMs: 10_000 });
  return Number(result.stdout.trim());
}
