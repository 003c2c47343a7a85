/**
 * Controls that change what a site's network does to TLS and to egress: a DPI box on the
 * router re-signing TLS (mitmproxy, transparent), and a proxy-only site (squid is the only way
 * out). Each returns a Fault whose heal() restores the site exactly.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MitmEvent, type MitmproxyHandle, type SquidHandle, startMitmproxy, startSquid } from '@multiclaw-lab/infra';
import { type Fault, PUBLIC_NAMES } from '@multiclaw-lab/network';
import { acceptsTcp, DPI_PORT, SQUID_PORT } from './health.ts';
import type { Lab } from './lab.ts';
import { UPSTREAMS, type Upstream } from './site-link.ts';

export type DpiMode = 'untrusted' | 'trusted' | 'excluded';

/** The MultiClaw names (and their addresses: transparent mode sees addresses first) DPI is asked to leave alone. */
const MULTICLAW_EXCLUSIONS = [
  PUBLIC_NAMES.api,
  PUBLIC_NAMES.turn,
  PUBLIC_NAMES.cdn,
  UPSTREAMS.api.address,
  UPSTREAMS['turn-tls'].address,
  UPSTREAMS.cdn.address,
];
const INTERCEPTED: Upstream[] = ['api', 'cdn', 'llm', 'turn-tls'];

export interface DpiFault extends Fault {
  readonly mitm: MitmproxyHandle;
  /** what the DPI box saw, parsed from its addon's JSON lines */
  events(): MitmEvent[];
}

/**
 * Turns on TLS interception for a site: mitmproxy on the router takes the site's TLS on 443.
 * `untrusted`: its CA is in no trust store (clients must fail closed); `trusted`: its CA is added
 * to the trust store of every host of the site (restart the apps so they read it again);
 * `excluded`: the MultiClaw names pass through uninspected.
 */
export async function enableDpi(lab: Lab, siteId: string, mode: DpiMode): Promise<DpiFault> {
  const site = lab.topology.sites.find((s) => s.id === siteId);
  if (!site) throw new Error(`no site ${siteId}`);
  const link = lab.link(siteId);
  const mitm = await startMitmproxy(lab.runner(site.router), {
    mode: 'transparent',
    listenHost: site.lanAddress,
    listenPort: DPI_PORT,
    confDir: join(lab.runDir, `${site.router}-mitmproxy`),
    upstreamCaFile: lab.hostFiles(site.router).trustBundle,
    ...(mode === 'excluded' ? { ignoreHosts: MULTICLAW_EXCLUSIONS } : {}),
  });
  const rules: Fault[] = [];
  const bundles: Array<{ file: string; original: string }> = [];
  try {
    for (const u of INTERCEPTED) {
      await link.unsteer(u);
      rules.push(
        await lab.driver.redirectTcp(siteId, { toAddress: UPSTREAMS[u].address, toPort: UPSTREAMS[u].port, localPort: DPI_PORT }),
      );
    }
    if (mode === 'trusted') {
      const ca = await readFile(mitm.caCertFile, 'utf8');
      for (const hostId of [...site.desktops, site.neighbour]) {
        const file = lab.hostFiles(hostId).trustBundle;
        const original = await readFile(file, 'utf8');
        bundles.push({ file, original });
        await writeFile(file, original + ca);
      }
    }
  } catch (err) {
    for (const r of rules) await r.heal();
    await mitm.stop();
    throw err;
  }
  lab.adopt({
    def: {
      id: `${siteId}-mitmproxy`,
      kind: 'mitmproxy',
      host: site.router,
      command: 'mitmdump',
      args: [],
      env: {},
      health: acceptsTcp(site.lanAddress, DPI_PORT),
    },
    handle: mitm.process,
    logFile: join(lab.logsDir, `${siteId}-mitmproxy.log`),
    startMs: 0,
  });
  let healed = false;
  return {
    description: `DPI (${mode}) at site ${siteId}`,
    mitm,
    events: () => mitm.process.jsonLines() as MitmEvent[],
    async heal() {
      if (healed) return;
      healed = true;
      for (const r of rules) await r.heal();
      for (const u of INTERCEPTED) await link.steer(u);
      for (const b of bundles) await writeFile(b.file, b.original);
      await writeFile(join(lab.logsDir, `${siteId}-mitmproxy.log`), `${mitm.logs().join('\n')}\n`, { flag: 'a' });
      await mitm.stop();
      lab.retire(`${siteId}-mitmproxy`);
    },
  };
}

export interface ProxyOnlyFault extends Fault {
  readonly squid: SquidHandle;
  /** the proxy URL the site's apps must be given (HTTP_PROXY / HTTPS_PROXY) */
  readonly proxyUrl: string;
}

/** The site may reach the internet only through squid on its router. */
export async function enableProxyOnly(lab: Lab, siteId: string): Promise<ProxyOnlyFault> {
  const site = lab.topology.sites.find((s) => s.id === siteId);
  if (!site) throw new Error(`no site ${siteId}`);
  const lan = lab.topology.segments.find((s) => s.id === site.lan)!;
  const squid = await startSquid(lab.runner(site.router), {
    listenHost: site.lanAddress,
    listenPort: SQUID_PORT,
    allowFrom: lan.cidr,
    stateDir: join(lab.runDir, `${site.router}-squid`),
  });
  let rule: Fault;
  try {
    rule = await lab.driver.proxyOnly(siteId, { allow: [] });
  } catch (err) {
    await squid.stop();
    throw err;
  }
  lab.adopt({
    def: {
      id: `${siteId}-squid`,
      kind: 'squid',
      host: site.router,
      command: 'squid',
      args: [],
      env: {},
      health: acceptsTcp(site.lanAddress, SQUID_PORT),
    },
    handle: squid.process,
    logFile: join(lab.logsDir, `${siteId}-squid.log`),
    startMs: 0,
  });
  let healed = false;
  return {
    description: `proxy-only egress at site ${siteId}`,
    squid,
    proxyUrl: `http://${site.lanAddress}:${SQUID_PORT}`,
    async heal() {
      if (healed) return;
      healed = true;
      await rule.heal();
      await copyFile(squid.accessLogFile, join(lab.logsDir, `${siteId}-squid-access.log`)).catch(() => undefined);
      await squid.stop();
      lab.retire(`${siteId}-squid`);
    },
  };
}
