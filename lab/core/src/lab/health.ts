import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { findPostgresBin } from '@multiclaw-lab/kit';
import { addressOf, PUBLIC_NAMES } from '@multiclaw-lab/network';
import type { Lab } from './lab.ts';
import type { RunningService } from './service.ts';

/**
 * Health checks: for every kind of service, a request in its own protocol that only a working
 * service answers (a live process that does not answer — paused, wedged — is unhealthy). The
 * desktop simulators and daemon gateways are checked by Lab.status() itself (signed in and
 * connected to the cloud).
 */
export interface Health {
  healthy: boolean;
  detail: string;
}

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

async function https(lab: Lab, host: string, url: string, expect: (status: number) => boolean): Promise<Health> {
  const r = await lab.httpsProbe(host, url, { timeoutMs: TIMEOUT_MS });
  const what = `GET ${url} from ${host}`;
  return r.ok && expect(r.status) ? ok(`${what}: ${r.status}`) : bad(`${what}: ${r.error ?? r.status}`);
}

async function tcp(lab: Lab, host: string, address: string, port: number): Promise<Health> {
  const r = await lab.driver.probeTcp(host, address, port, { timeoutMs: TIMEOUT_MS });
  return r.ok ? ok(`accepts TCP on ${address}:${port}`) : bad(`no TCP on ${address}:${port}: ${r.error}`);
}

export async function checkHealth(lab: Lab, s: RunningService): Promise<Health | undefined> {
  if (!s.handle.running) return bad(`exited (code ${s.handle.exitCode}, signal ${s.handle.signalCode})`);
  const { def } = s;
  switch (def.kind) {
    case 'postgres': {
      // from the cloud, the only host allowed in, over the cloud-private segment
      const db = addressOf(lab.topology, def.host);
      const isReady = join(dirname(findPostgresBin('postgres')), 'pg_isready');
      const r = await lab.driver.exec(
        'cloud',
        isReady,
        ['-h', db, '-p', '5432', '-U', 'lab', '-d', 'postgres', '-t', String(TIMEOUT_MS / 1000)],
        { env: { PATH: process.env.PATH }, timeoutMs: TIMEOUT_MS + 5_000 },
      );
      const said = r.stdout.trim() || r.stderr.trim() || `exit ${r.code}`;
      return r.code === 0 ? ok(`pg_isready from cloud: ${said}`) : bad(`pg_isready from cloud: ${said}`);
    }
    case 'cloud':
      return https(lab, def.host, `https://${PUBLIC_NAMES.api}/healthz`, (status) => status === 200);
    case 'llm':
      return https(lab, def.host, `https://${PUBLIC_NAMES.llm}/v1/models`, () => true);
    case 'cdn':
      return https(lab, def.host, `https://${PUBLIC_NAMES.cdn}/updates/none/latest.json`, () => true);
    case 'bridge': {
      const socket = def.args[1]!;
      return (await unixSocketAnswers(socket)) ? ok(`accepts on ${socket}`) : bad(`no answer on ${socket}`);
    }
    case 'coturn': {
      // a STUN binding request over UDP to the relay's public address
      const relay = addressOf(lab.topology, def.host);
      const r = await lab.driver.exec(def.host, 'turnutils_stunclient', ['-p', '3478', relay], {
        env: { PATH: process.env.PATH },
        timeoutMs: TIMEOUT_MS,
      });
      const mapped = /UDP reflexive addr: ([\d.]+:\d+)/.exec(r.stdout)?.[1];
      return r.code === 0 && mapped
        ? ok(`STUN binding on ${relay}:3478/udp answered (${mapped})`)
        : bad(`STUN binding on ${relay}:3478/udp unanswered (exit ${r.code})`);
    }
    case 'toxiproxy': {
      const site = lab.topology.sites.find((x) => x.router === def.host);
      const link = site && lab.links.get(site.id);
      if (!link) return bad('no link registered for this router');
      const proxies = await within(link.client.listProxies().catch((err: Error) => err));
      if (proxies === 'timeout') return bad('its API did not answer');
      if (proxies instanceof Error) return bad(`its API failed: ${proxies.message}`);
      const names = Object.keys(proxies);
      return ok(`API answers; ${names.length} proxies (${names.filter((n) => proxies[n]!.enabled).length} enabled)`);
    }
    case 'gateway': {
      const port = Number(s.handle.ready.port);
      const r = await lab.driver.exec(
        def.host,
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
      // without the desktop's session token the local API answers 401: it is serving
      const status = Number(r.stdout.trim()) || 0;
      return status > 0 ? ok(`local API on 127.0.0.1:${port} answers (${status})`) : bad(`local API on 127.0.0.1:${port} silent`);
    }
    case 'mitmproxy':
    case 'squid': {
      const site = lab.topology.sites.find((x) => x.router === def.host);
      if (!site) return bad('not on a site router');
      return tcp(lab, def.host, site.lanAddress, def.kind === 'squid' ? SQUID_PORT : DPI_PORT);
    }
    case 'desktop-sim':
    case 'daemon':
      return undefined;
  }
}
