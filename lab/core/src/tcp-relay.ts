/**
 * A loopback TCP relay for component tests: clients connect to it instead of the service, and
 * the test can cut every connection (a reset), swallow traffic (a blackhole: accepted, never
 * answered), or refuse new connections. The lab's real link faults come from toxiproxy; this is
 * only the plumbing a single-machine component test needs.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export type RelayMode = 'pass' | 'blackhole' | 'refuse';

export class TcpRelay implements AsyncDisposable {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket | undefined }>();
  #mode: RelayMode = 'pass';
  port = 0;

  readonly targetHost: string;
  readonly targetPort: number;

  private constructor(targetHost: string, targetPort: number) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpRelay> {
    const relay = new TcpRelay(targetHost, targetPort);
    relay.#server.listen(0, '127.0.0.1');
    await once(relay.#server, 'listening');
    relay.port = (relay.#server.address() as AddressInfo).port;
    return relay;
  }

  get mode(): RelayMode {
    return this.#mode;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  #accept(client: Socket): void {
    if (this.#mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined };
    this.#pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.upstream?.destroy();
      this.#pairs.delete(pair);
    });
    if (this.#mode === 'blackhole') return; // accepted, then silence
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Sends a TCP reset on every open connection, both ways. New connections still pass. */
  resetAll(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream?.resetAndDestroy();
    }
  }

  /**
   * Blackhole: open connections stop carrying bytes in both directions (half-open, as after a
   * silent network failure) and new ones are accepted but never answered.
   */
  blackhole(): void {
    this.#mode = 'blackhole';
    for (const { client, upstream } of this.#pairs) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  refuse(): void {
    this.#mode = 'refuse';
  }

  /** Back to normal for new connections; connections held by a blackhole are dropped. */
  heal(): void {
    if (this.#mode === 'blackhole') {
      for (const { client, upstream } of this.#pairs) {
        client.destroy();
        upstream?.destroy();
      }
    }
    this.#mode = 'pass';
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
