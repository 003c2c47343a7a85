/**
 * Health checks as values: each service definition carries one, a request in the service's own
 * protocol that only a working service answers (a live process that does not answer — paused,
 * wedged — is unhealthy). Lab.status() runs them; a process that exited is unhealthy before any
 * check runs.
 */
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { findPostgresBin } from '@multiclaw-lab/kit';
import { routes } from '@multiclaw-lab/protocol';
import type { Lab } from './lab.ts';
import type { RunningService } from './service.ts';

export interface Health {
  healthy: boolean;
  detail: string;
}

/** Asks one running service whether it works, through the lab (its driver, clients and state). */
export type HealthCheck = (lab: Lab, service: RunningService) => Promise<Health>;

const TIMEOUT_MS = 5_000;
/** the ports the on-demand site boxes listen on, on the router's LAN address (see site-controls.ts) */
export const DPI_PORT = 8443;
export const SQUID_PORT = 3128;

const ok = (detail: string): Health => ({ healthy: true, detail });
const bad = (detail: string): Health => ({ healthy: false, detail });

function unixSocketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), TIMEOUT_MS);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Races a promise against the check timeout (a paused service never answers). */
export async function within<T>(what: Promise<T>): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS);
  });
  try {
    return await Promise.race([what, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function https(
  lab: Lab,
  host: string,
  url: string,
  expect: (status: number) => boolean,
  connectTo?: string,
): Promise<Health> {
  const r = await lab.httpsProbe(host, url, { timeoutMs: TIMEOUT_MS, ...(connectTo ? { connectTo } : {}) });
  const what = `GET ${url}${connectTo ? ` at ${connectTo}` : ''} from ${host}`;
  return r.ok && expect(r.status) ? ok(`${what}: ${r.status}`) : bad(`${what}: ${r.error ?? r.status}`);
}

/**
 * An HTTPS GET from the service's own host, verified against the host's trust store; with
 * `connectTo` (address:port) sent there instead of to the name's address (one instance of several).
 */
export const httpsGet =
  (url: string, accept: (status: number) => boolean = () => true, connectTo?: string): HealthCheck =>
  (lab, s) =>
    https(lab, s.def.host, url, accept, connectTo);

/** The service accepts TCP on address:port (probed from its own host). */
export const acceptsTcp =
  (address: string, port: number): HealthCheck =>
  async (lab, s) => {
    const r = await lab.driver.probeTcp(s.def.host, address, port, { timeoutMs: TIMEOUT_MS });
    return r.ok ? ok(`accepts TCP on ${address}:${port}`) : bad(`no TCP on ${address}:${port}: ${r.error}`);
  };

/** A unix socket in the state folder accepts connections (the harness's bridges). */
export const acceptsOnSocket =
  (path: string): HealthCheck =>
  async () =>
    (await unixSocketAnswers(path)) ? ok(`accepts on ${path}`) : bad(`no answer on ${path}`);

/** pg_isready from `fromHost` (the only host allowed in) to PostgreSQL on `address`. */
export const pgIsReady =
  (fromHost: string, address: string): HealthCheck =>
  async (lab) => {
    const isReady = join(dirname(findPostgresBin('postgres')), 'pg_isready');
    const r = await lab.driver.exec(
      fromHost,
      isReady,
      ['-h', address, '-p', '5432', '-U', 'lab', '-d', 'postgres', '-t', String(TIMEOUT_MS / 1000)],
      { env: { PATH: process.env.PATH }, timeoutMs: TIMEOUT_MS + 5_000 },
    );
    const said = r.stdout.trim() || r.stderr.trim() || `exit ${r.code}`;
    return r.code === 0 ? ok(`pg_isready from ${fromHost}: ${said}`) : bad(`pg_isready from ${fromHost}: ${said}`);
  };

/** A STUN binding request over UDP to the relay's address, from the relay's host. */
export const stunBinding =
  (address: string): HealthCheck =>
  async (lab, s) => {
    const r = await lab.driver.exec(s.def.host, 'turnutils_stunclient', ['-p', '3478', address], {
      env: { PATH: process.env.PATH },
      timeoutMs: TIMEOUT_MS,
    });
    const mapped = /UDP reflexive addr: ([\d.]+:\d+)/.exec(r.stdout)?.[1];
    return r.code === 0 && mapped
      ? ok(`STUN binding on ${address}:3478/udp answered (${mapped})`)
      : bad(`STUN binding on ${address}:3478/udp unanswered (exit ${r.code})`);
  };

/** toxiproxy's API on a site router answers with the site's proxies. */
export const toxiproxyApi =
  (siteId: string): HealthCheck =>
  async (lab) => {
    const link = lab.links.get(siteId);
    if (!link) return bad('no link registered for this site');
    const proxies = await within(link.client.listProxies().catch((err: Error) => err));
    if (proxies === 'timeout') return bad('its API did not answer');
    if (proxies instanceof Error) return bad(`its API failed: ${proxies.message}`);
    const names = Object.keys(proxies);
    return ok(`API answers; ${names.length} proxies (${names.filter((n) => proxies[n]!.enabled).length} enabled)`);
  };

/** The gateway's local API on its host's loopback answers (401 without a session token: it is serving). */
export const gatewayLocalApi: HealthCheck = async (lab, s) => {
  const port = Number(s.handle.ready.port);
  const r = await lab.driver.exec(
    s.def.host,
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      String(TIMEOUT_MS / 1000),
      `http://127.0.0.1:${port}/v1/status`,
    ],
    { env: { PATH: process.env.PATH }, timeoutMs: TIMEOUT_MS + 5_000 },
  );
  const status = Number(r.stdout.trim()) || 0;
  return status > 0 ? ok(`local API on 127.0.0.1:${port} answers (${status})`) : bad(`local API on 127.0.0.1:${port} silent`);
};

/** The desktop app answers, is connected, and its local gateway is connected to the cloud. */
export const desktopConnected: HealthCheck = async (lab, s) => {
  const desktop = lab.desktop(s.def.host);
  const st = await desktop
    .call('status', {}, 5_000)
    .catch((err: Error) => ({ state: `unanswered: ${err.message}`, signedIn: false }));
  if (st.state !== 'connected') return bad(`app ${st.state}`);
  const gw = await desktop.call('gatewayStatus', {}, 5_000).catch(() => ({ workspace: { connected: false } }));
  const connected = gw.workspace.connected;
  return {
    healthy: connected,
    detail: `app ${st.state}; local gateway ${connected ? 'connected' : 'not connected'} to the cloud`,
  };
};

/** A daemon gateway (cloud desktop): the cloud lists its instance as connected. */
export const instanceConnected: HealthCheck = async (lab, s) => {
  const owner = lab.accounts[0];
  if (!owner || !lab.workspaceId) return bad('no workspace to ask the cloud about');
  const list = await within(
    lab.api
      .request(routes.listInstances, { credential: owner.bearer, params: { wid: lab.workspaceId } })
      .catch(() => ({ instances: [] })),
  );
  if (list === 'timeout') return bad('the cloud did not answer whether it is connected');
  const connected = list.instances.find((i) => i.name === s.def.host)?.connected === true;
  return connected ? ok('connected to the cloud') : bad('not connected to the cloud');
};

/** Runs a service's own check; a process that has exited is unhealthy whatever its check would say. */
export async function checkHealth(lab: Lab, s: RunningService): Promise<Health> {
  if (!s.handle.running) return bad(`exited (code ${s.handle.exitCode}, signal ${s.handle.signalCode})`);
  return s.def.health(lab, s);
}
