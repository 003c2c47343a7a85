/**
 * The run folder's doors to places the harness cannot open directly, tested with real sockets on
 * this machine: a TCP echo server stands for the stack's load balancer, a unix-socket echo
 * server for a socket inside a host, and the "driver" runs the relay as a local process (what
 * any driver's spawn does, minus the host).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeToHostSocket, bridgeToTcp } from './socket-bridges.ts';

let dir: string;
const servers: Server[] = [];

function echoServer(): Server {
  const server = createServer((s) => s.pipe(s));
  servers.push(server);
  return server;
}

/** Sends `text` through the unix socket at `path`, answers what came back before the other side closed or `text` was echoed. */
async function roundTrip(path: string, text: string): Promise<string> {
  const socket = connect(path);
  let got = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    got += chunk;
    if (got.length >= text.length) socket.end();
  });
  socket.write(text);
  await once(socket, 'close');
  return got;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcl-bridges-'));
});

afterAll(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a bridge to a TCP address', () => {
  it('carries bytes both ways, and once closed leaves no socket file behind', async () => {
    const upstream = echoServer().listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const port = (upstream.address() as { port: number }).port;
    const bridge = await bridgeToTcp(join(dir, 'api.sock'), { host: '127.0.0.1', port });
    expect(await roundTrip(bridge.path, 'hello through the load balancer')).toBe('hello through the load balancer');
    await bridge.close();
    expect(existsSync(bridge.path)).toBe(false);
  });
});

describe('a bridge to a unix socket inside a host', () => {
  it('carries bytes both ways through one relay per connection, each ending when its client goes', async () => {
    const inside = join(dir, 'admin-inside.sock');
    const upstream = echoServer().listen(inside);
    await once(upstream, 'listening');
    const relays: ChildProcess[] = [];
    const driver = {
      spawn: (_host: string, command: string, args: string[]) => {
        const child = spawn(command, args, { stdio: 'pipe' });
        relays.push(child);
        return child;
      },
    };
    const bridge = await bridgeToHostSocket(join(dir, 'admin.sock'), driver, { hostId: 'llm', path: inside });
    expect(await roundTrip(bridge.path, 'GET /admin/keys')).toBe('GET /admin/keys');
    expect(await roundTrip(bridge.path, 'a second connection')).toBe('a second connection');
    expect(relays).toHaveLength(2);
    // each relay exits by itself once its client went (its stdin ended)
    await Promise.all(relays.map((r) => (r.exitCode === null ? once(r, 'exit') : undefined)));
    expect(relays.map((r) => r.exitCode)).toEqual([0, 0]);
    await bridge.close();
    expect(existsSync(bridge.path)).toBe(false);
  });
});
