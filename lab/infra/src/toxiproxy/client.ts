/**
 * A small typed client for toxiproxy's HTTP API, over TCP or over a unix socket (the harness
 * reaches a router's toxiproxy through a socket bridge in the state folder). We do not use
 * toxiproxy-node-client: it cannot talk over a unix socket, and the lab needs only these calls.
 *
 * Toxics and their direction: `downstream` is upstream server → client, `upstream` is
 * client → server. Faults that must stop a conversation (reset, blackhole) act on both.
 */
import { LabError } from '@multiclaw-lab/kit';
import { Agent, type Dispatcher, request } from 'undici';

export interface ProxyInfo {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicInfo[];
}

export type ToxicType = 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data';
export type Stream = 'upstream' | 'downstream';

export interface ToxicInfo {
  name: string;
  type: ToxicType;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, number>;
}

export class ToxiproxyError extends LabError {
  readonly status: number;
  constructor(message: string, status: number) {
    super('LAB_TOXIPROXY', message);
    this.status = status;
  }
}

export type ToxiproxyAddress = string | { socketPath: string };

export class ToxiproxyClient {
  readonly #origin: string;
  readonly #dispatcher: Dispatcher | undefined;

  constructor(address: ToxiproxyAddress) {
    if (typeof address === 'string') {
      this.#origin = address.replace(/\/$/, '');
      this.#dispatcher = undefined;
    } else {
      this.#origin = 'http://toxiproxy';
      this.#dispatcher = new Agent({ connect: { socketPath: address.socketPath } });
    }
  }

  async #call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await request(`${this.#origin}${path}`, {
      method,
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 400)
      throw new ToxiproxyError(`toxiproxy ${method} ${path} answered ${res.statusCode}: ${text.trim()}`, res.statusCode);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  version(): Promise<{ version: string }> {
    return this.#call('GET', '/version');
  }

  /** `listen` is "host:port" (port 0 picks one; read it back from the result) */
  createProxy(name: string, listen: string, upstream: string): Promise<ProxyInfo> {
    return this.#call('POST', '/proxies', { name, listen, upstream, enabled: true });
  }
  getProxy(name: string): Promise<ProxyInfo> {
    return this.#call('GET', `/proxies/${encodeURIComponent(name)}`);
  }
  async listProxies(): Promise<Record<string, ProxyInfo>> {
    return this.#call('GET', '/proxies');
  }
  async deleteProxy(name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }
  /** closes every connection through the proxy and stops listening, like pulling the cable */
  async disable(name: string): Promise<void> {
    await this.#call('POST', `/proxies/${encodeURIComponent(name)}`, { enabled: false });
  }
  async enable(name: string): Promise<void> {
    await this.#call('POST', `/proxies/${encodeURIComponent(name)}`, { enabled: true });
  }

  addToxic(
    proxy: string,
    toxic: { name: string; type: ToxicType; stream?: Stream; toxicity?: number; attributes: Record<string, number> },
  ): Promise<ToxicInfo> {
    return this.#call('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { stream: 'downstream', toxicity: 1, ...toxic });
  }
  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
  }

  async #both(proxy: string, name: string, type: ToxicType, attributes: Record<string, number>): Promise<string[]> {
    await this.addToxic(proxy, { name: `${name}_up`, type, stream: 'upstream', attributes });
    await this.addToxic(proxy, { name: `${name}_down`, type, stream: 'downstream', attributes });
    return [`${name}_up`, `${name}_down`];
  }

  /** every connection, current and new, is reset (RST) after `afterMs` */
  reset(proxy: string, afterMs = 0): Promise<string[]> {
    return this.#both(proxy, 'reset', 'reset_peer', { timeout: afterMs });
  }
  /**
   * data in both directions is swallowed and connections stay open: a silent link. Healing closes
   * the connections that lived through it (toxiproxy 2.12); new ones work.
   */
  blackhole(proxy: string): Promise<string[]> {
    return this.#both(proxy, 'blackhole', 'timeout', { timeout: 0 });
  }
  /** adds `ms` ± `jitterMs` to every chunk from the server (one way, so the round trip grows by `ms`) */
  async latency(proxy: string, ms: number, jitterMs = 0): Promise<string[]> {
    await this.addToxic(proxy, { name: 'latency', type: 'latency', attributes: { latency: ms, jitter: jitterMs } });
    return ['latency'];
  }
  /** caps server → client throughput at `kilobytesPerSecond` (toxiproxy's unit is KB/s) */
  async bandwidth(proxy: string, kilobytesPerSecond: number): Promise<string[]> {
    await this.addToxic(proxy, { name: 'bandwidth', type: 'bandwidth', attributes: { rate: kilobytesPerSecond } });
    return ['bandwidth'];
  }
  /** delays the close of the connection towards the client by `ms` after the server closed */
  async slowClose(proxy: string, ms: number): Promise<string[]> {
    await this.addToxic(proxy, { name: 'slow_close', type: 'slow_close', attributes: { delay: ms } });
    return ['slow_close'];
  }
  /** closes each connection once `bytes` have gone from the server to the client */
  async limitData(proxy: string, bytes: number): Promise<string[]> {
    await this.addToxic(proxy, { name: 'limit_data', type: 'limit_data', attributes: { bytes } });
    return ['limit_data'];
  }

  /** removes every toxic of the proxy and enables it again */
  async heal(proxy: string): Promise<void> {
    const info = await this.getProxy(proxy);
    for (const toxic of info.toxics) await this.removeToxic(proxy, toxic.name);
    if (!info.enabled) await this.enable(proxy);
  }

  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }
}
