import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/**
 * A minimal HTTP CONNECT proxy on 127.0.0.1 for tests: it records every tunnel target and
 * relays bytes, nothing more. It only ever connects to loopback targets.
 */
export class ConnectProxy {
  readonly targets: string[] = [];
  /** plain-HTTP requests sent to the proxy in absolute form (forward proxying) */
  readonly forwarded: string[] = [];
  server!: Server;
  url!: string;
  /** tunnelled sockets leave the HTTP server's bookkeeping, so they are tracked here for close() */
  readonly #tunnels = new Set<Socket>();

  static async start(): Promise<ConnectProxy> {
    const proxy = new ConnectProxy();
    proxy.server = createServer((req, res) => {
      proxy.forwarded.push(req.url ?? '');
      res.writeHead(502).end();
    });
    proxy.server.on('connect', (req, client, head) => {
      const target = req.url ?? '';
      proxy.targets.push(target);
      const [host, port] = target.split(':');
      if (host !== '127.0.0.1' && host !== 'localhost') {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = connect(Number(port), '127.0.0.1', () => {
        proxy.#tunnels.add(client as Socket);
        proxy.#tunnels.add(upstream);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.#tunnels) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
