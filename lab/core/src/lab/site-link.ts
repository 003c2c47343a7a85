/**
 * A site's link to the internet runs through toxiproxy on its router: one proxy per upstream
 * the site talks TCP to, and nftables steering that sends the site's connections to those
 * proxies transparently (the clients still dial api.multiclaw.test:443 and see its real
 * certificate). Link faults are toxics on these proxies.
 */
import { join } from 'node:path';
import { type HostRunner, startToxiproxy, type ToxiproxyClient } from '@multiclaw-lab/infra';
import type { Fault, Firewall, Site } from '@multiclaw-lab/network';
import { toxiproxyApi } from './health.ts';
import type { ServiceDef } from './service.ts';

export const UPSTREAMS = {
  api: { address: '198.18.0.10', port: 443 },
  cdn: { address: '198.18.0.30', port: 443 },
  llm: { address: '198.18.0.40', port: 443 },
  'turn-tls': { address: '198.18.0.20', port: 443 },
  // no TCP 3478: the relay serves TCP on 443 (TLS) only, as the pages list it
} as const;
export type Upstream = keyof typeof UPSTREAMS;
const FIRST_PORT = 20_000;

export type LinkFaultKind = 'reset' | 'blackhole' | 'latency' | 'bandwidth' | 'slow-close' | 'byte-limit' | 'down';

export interface LinkFaultOptions {
  /** which upstreams (default: all of them) */
  upstreams?: Upstream[];
  /** latency and slow-close: milliseconds */
  ms?: number;
  /** bandwidth: kilobytes per second */
  kbps?: number;
  /** byte-limit: bytes per connection */
  bytes?: number;
}

export class SiteLink {
  readonly site: Site;
  readonly client: ToxiproxyClient;
  readonly #driver: Firewall;
  /** upstream → the router port its proxy listens on and the steering rule in force (if any) */
  readonly #steering = new Map<Upstream, { localPort: number; rule: Fault | undefined }>();

  constructor(site: Site, client: ToxiproxyClient, driver: Firewall) {
    this.site = site;
    this.client = client;
    this.#driver = driver;
  }

  /** Sends the site's connections to `upstream` through its toxiproxy proxy (again). */
  async steer(upstream: Upstream, localPort = this.#steering.get(upstream)?.localPort): Promise<void> {
    if (localPort === undefined) throw new Error(`no proxy for ${upstream}`);
    const current = this.#steering.get(upstream);
    if (current?.rule) return;
    const { address, port } = UPSTREAMS[upstream];
    const rule = await this.#driver.redirectTcp(this.site.id, { toAddress: address, toPort: port, localPort });
    this.#steering.set(upstream, { localPort, rule });
  }

  /** Stops steering `upstream` through toxiproxy (so something else, e.g. DPI, can take it). */
  async unsteer(upstream: Upstream): Promise<void> {
    const current = this.#steering.get(upstream);
    if (!current?.rule) return;
    await current.rule.heal();
    this.#steering.set(upstream, { localPort: current.localPort, rule: undefined });
  }

  /** Removes every steering rule of this link (before it is replaced, or when its start failed). */
  async release(): Promise<void> {
    for (const upstream of [...this.#steering.keys()]) await this.unsteer(upstream);
  }

  proxyName(upstream: Upstream): string {
    return `${this.site.id}-${upstream}`;
  }

  /** Applies a TCP fault to the site's link; heal() removes exactly what was added. */
  async fault(kind: LinkFaultKind, options: LinkFaultOptions = {}): Promise<Fault> {
    const upstreams = options.upstreams ?? (Object.keys(UPSTREAMS) as Upstream[]);
    const applied: Array<{ proxy: string; toxics: string[] }> = [];
    for (const u of upstreams) {
      const proxy = this.proxyName(u);
      const toxics = await this.#apply(proxy, kind, options);
      applied.push({ proxy, toxics });
    }
    const client = this.client;
    let healed = false;
    return {
      description: `${kind} on the link of site ${this.site.id} (${upstreams.join(', ')})`,
      async heal() {
        if (healed) return;
        healed = true;
        for (const { proxy, toxics } of applied) {
          if (kind === 'down') await client.enable(proxy);
          for (const t of toxics) await client.removeToxic(proxy, t).catch(() => undefined);
        }
      },
    };
  }

  async #apply(proxy: string, kind: LinkFaultKind, o: LinkFaultOptions): Promise<string[]> {
    switch (kind) {
      case 'reset':
        return this.client.reset(proxy);
      case 'blackhole':
        return this.client.blackhole(proxy);
      case 'latency':
        return this.client.latency(proxy, o.ms ?? 500);
      case 'bandwidth':
        return this.client.bandwidth(proxy, o.kbps ?? 16);
      case 'slow-close':
        return this.client.slowClose(proxy, o.ms ?? 5_000);
      case 'byte-limit':
        return this.client.limitData(proxy, o.bytes ?? 4_096);
      case 'down':
        await this.client.disable(proxy);
        return [];
    }
  }
}

/** toxiproxy on the router of `site`, its proxies and the steering rules. */
export function siteLinkDef(o: {
  site: Site;
  driver: Firewall;
  runner: HostRunner;
  runDir: string;
  onReady: (link: SiteLink) => void;
}): ServiceDef {
  const socketPath = join(o.runDir, `${o.site.router}-toxiproxy.sock`);
  let current: SiteLink | undefined;
  return {
    id: `${o.site.id}-toxiproxy`,
    kind: 'toxiproxy',
    host: o.site.router,
    health: toxiproxyApi(o.site.id),
    command: 'toxiproxy-server',
    args: ['-host', '127.0.0.1', '-port', '8474'],
    env: {},
    start: async () => {
      // a restart replaces the link: the old one's steering rules go first, or two would compete
      await current?.release();
      const toxiproxy = await startToxiproxy(o.runner, { apiHost: '127.0.0.1', apiPort: 8474, socketPath });
      const link = new SiteLink(o.site, toxiproxy.client, o.driver);
      try {
        let port = FIRST_PORT;
        for (const name of Object.keys(UPSTREAMS) as Upstream[]) {
          const upstream = UPSTREAMS[name];
          const localPort = port++;
          await toxiproxy.client.createProxy(
            link.proxyName(name),
            `${o.site.lanAddress}:${localPort}`,
            `${upstream.address}:${upstream.port}`,
          );
          await link.steer(name, localPort);
        }
      } catch (err) {
        // nothing of a link that failed to start stays: its rules, toxiproxy and its bridge
        await link.release().catch(() => undefined);
        await toxiproxy.bridge?.stop();
        await toxiproxy.process.stop();
        throw err;
      }
      current = link;
      o.onReady(link);
      // the socket bridge is part of this service: stop it with toxiproxy
      toxiproxy.process.once('exit', () => void toxiproxy.bridge?.stop());
      return toxiproxy.process;
    },
  };
}
