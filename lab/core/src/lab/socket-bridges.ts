/**
 * Unix sockets in the lab's run folder that lead somewhere the harness cannot open directly:
 * the same doors the lab's own bridges give (cloud-api.sock, llm-admin.sock), so everything that
 * talks through them works unchanged on a lab the harness did not start.
 *   - to a TCP address this machine reaches (a deployed stack's public load balancer);
 *   - to a unix socket inside a host, one relay program per connection started through the
 *     driver (on AWS, a Systems Manager session): bytes in on its stdin, out on its stdout.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { HostProcesses } from '@multiclaw-lab/network';

export interface SocketBridge {
  readonly path: string;
  close(): Promise<void>;
}

async function serve(path: string, onConnection: (client: Socket) => void): Promise<{ server: Server; open: Set<Socket> }> {
  await rm(path, { force: true });
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    onConnection(client);
  });
  server.listen(path);
  await once(server, 'listening');
  return { server, open };
}

function closer(path: string, server: Server, open: Set<Socket>, extra: () => void = () => undefined) {
  return async () => {
    const closed = once(server, 'close');
    server.close();
    for (const s of open) s.destroy();
    extra();
    await closed;
    await rm(path, { force: true });
  };
}

/** `path` → TCP `host:port`, byte for byte (TLS passes through: the client speaks it end to end). */
export async function bridgeToTcp(path: string, target: { host: string; port: number }): Promise<SocketBridge> {
  const { server, open } = await serve(path, (client) => {
    const upstream = connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.once('error', end).once('close', end);
    client.once('error', end).once('close', end);
  });
  return { path, close: closer(path, server, open) };
}

/**
 * The relay run inside the host for each connection: the socket's bytes to stdout, stdin's to
 * the socket (stdin's end ends the socket's writing side, as pipe() does), and done when the
 * socket closes. Node is on every lab host and instance.
 */
export const SOCKET_RELAY = [
  "const s = require('node:net').connect(process.argv[1]);",
  'process.stdin.pipe(s); s.pipe(process.stdout);',
  "s.once('close', () => process.exit(0)); s.once('error', (e) => { console.error(e.message); process.exit(1); });",
].join(' ');

/** `path` → the unix socket `remotePath` inside `hostId`, one relay process per connection. */
export async function bridgeToHostSocket(
  path: string,
  driver: Pick<HostProcesses, 'spawn'>,
  target: { hostId: string; path: string },
): Promise<SocketBridge> {
  const relays = new Set<ChildProcess>();
  const { server, open } = await serve(path, (client) => {
    const relay = driver.spawn(target.hostId, 'node', ['-e', SOCKET_RELAY, target.path]);
    relays.add(relay);
    relay.stdout?.pipe(client);
    client.pipe(relay.stdin!);
    // the relay ends by itself once its stdin ends (the client went) or its socket closed; a
    // killed local end of a session need not end the program inside the host
    const end = () => {
      client.destroy();
      relay.stdin?.end();
    };
    relay.once('error', end).once('close', () => {
      relays.delete(relay);
      end();
    });
    relay.stdin?.once('error', end);
    client.once('error', end).once('close', end);
  });
  return {
    path,
    close: closer(path, server, open, () => {
      for (const r of relays) r.kill('SIGTERM');
    }),
  };
}
