import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../ports.ts';
import { localRunner } from '../runner.ts';
import { ToxiproxyError } from './client.ts';
import { findToxiproxy, TOXIPROXY_RECIPE } from './install.ts';
import { startToxiproxy, type ToxiproxyHandle } from './toxiproxy.ts';

/** The upstream: echoes every byte back; a connection that sends "bye" gets "bye" and is closed. */
function startEcho(): Promise<{ server: Server; port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (chunk.toString() === 'bye') socket.end('bye');
      else socket.write(chunk);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, received })),
  );
}

interface Outcome {
  data: Buffer;
  error?: string;
  closedAfterMs: number;
}

/** Connects, writes, and collects what comes back until `expectBytes` arrived or the connection ends. */
async function exchange(port: number, payload: string | Buffer, expectBytes = Buffer.byteLength(payload)): Promise<Outcome> {
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closedAfterMs: performance.now() - started, ...(error ? { error } : {}) });
    };
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (Buffer.concat(chunks).length >= expectBytes) finish();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    socket.on('close', () => finish());
  });
}

describe('toxiproxy, for real, in front of an echo server', () => {
  let dir: string;
  let toxiproxy: ToxiproxyHandle;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'infra-toxi-'));
    echo = await startEcho();
    // the API port is the only fixed one; the bridge is how the lab's harness reaches it
    toxiproxy = await startToxiproxy(localRunner, {
      apiHost: '127.0.0.1',
      apiPort: await freePort(),
      socketPath: join(dir, 'toxiproxy.sock'),
    });
    const proxy = await toxiproxy.client.createProxy('cloud', '127.0.0.1:0', `127.0.0.1:${echo.port}`);
    port = Number(proxy.listen.split(':').pop());
  });

  afterEach(async () => {
    await toxiproxy.client.heal('cloud');
  });

  afterAll(async () => {
    await toxiproxy?.stop();
    echo?.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is reached through a unix socket bridge in the state folder, owner-only', async () => {
    expect(toxiproxy.bridge?.socketPath).toBe(join(dir, 'toxiproxy.sock'));
    expect((await stat(join(dir, 'toxiproxy.sock'))).mode & 0o777).toBe(0o600);
    expect((await toxiproxy.client.version()).version).toBeTruthy();
    expect((await exchange(port, 'hello')).data.toString()).toBe('hello');
  });

  it('logs a proxied connection at info, without its debug lines', async () => {
    const from = toxiproxy.process.lines.length;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    // toxiproxy logs its debug lines for a connection before the info line that it accepted it
    const client = `127.0.0.1:${socket.localPort}`;
    await toxiproxy.process.waitForLine((l) => l.json?.message === 'Accepted client' && l.json.client === client, 10_000);
    socket.destroy();
    const levels = new Set(toxiproxy.process.lines.slice(from).map((l) => l.json?.level));
    expect(levels.has('debug'), `levels logged: ${[...levels].join(', ')}`).toBe(false);
  });

  it('reset: connections are reset, and heal brings the link back', async () => {
    await toxiproxy.client.reset('cloud');
    const broken = await exchange(port, 'hello');
    expect(broken.error).toBe('ECONNRESET');
    expect(broken.data.length).toBe(0);
    await toxiproxy.client.heal('cloud');
    expect((await exchange(port, 'hello')).data.toString()).toBe('hello');
  });

  it('blackhole: data vanishes silently on an open connection; heal closes it and new ones work', async () => {
    await toxiproxy.client.blackhole('cloud');
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const before = echo.received.length;
    const got: Buffer[] = [];
    socket.on('data', (c) => got.push(c));
    socket.write('held');
    // a direct round trip to the echo server overtakes anything the proxy would have passed on
    expect((await exchangeDirect(echo.port, 'direct')).toString()).toBe('direct');
    expect(echo.received.slice(before).map(String)).toEqual(['direct']);
    expect(got).toEqual([]);
    expect(socket.destroyed).toBe(false);
    const closed = once(socket, 'close');
    await toxiproxy.client.heal('cloud');
    await closed; // toxiproxy 2.12 closes connections that lived through the blackhole
    expect(got).toEqual([]);
    expect((await exchange(port, 'again')).data.toString()).toBe('again');
  });

  it('latency: every answer is delayed by at least the latency', async () => {
    await toxiproxy.client.latency('cloud', 400, 0);
    const slow = await exchange(port, 'hello');
    expect(slow.data.toString()).toBe('hello');
    expect(slow.closedAfterMs).toBeGreaterThanOrEqual(400);
    await toxiproxy.client.heal('cloud');
    expect((await toxiproxy.client.getProxy('cloud')).toxics).toEqual([]);
  });

  it('bandwidth: 20 KB at 10 KB/s take at least 1.5 s', async () => {
    await toxiproxy.client.bandwidth('cloud', 10);
    const payload = Buffer.alloc(20 * 1024, 0x61);
    const slow = await exchange(port, payload);
    expect(slow.data.length).toBe(payload.length);
    expect(slow.closedAfterMs).toBeGreaterThanOrEqual(1500);
  });

  it('slow close: the client learns of the server closing only after the delay', async () => {
    const plain = await exchange(port, 'bye', 1_000_000);
    expect(plain.data.toString()).toBe('bye');
    await toxiproxy.client.slowClose('cloud', 600);
    const slow = await exchange(port, 'bye', 1_000_000);
    expect(slow.data.toString()).toBe('bye');
    expect(slow.closedAfterMs).toBeGreaterThanOrEqual(600);
  });

  it('limit data: the connection is cut after the byte limit', async () => {
    await toxiproxy.client.limitData('cloud', 10);
    const cut = await exchange(port, 'x'.repeat(100));
    expect(cut.data.length).toBe(10);
    await toxiproxy.client.heal('cloud');
    expect((await exchange(port, 'x'.repeat(100))).data.length).toBe(100);
  });

  it('disable: the proxy refuses connections until enabled again', async () => {
    await toxiproxy.client.disable('cloud');
    expect((await exchange(port, 'hello')).error).toBe('ECONNREFUSED');
    await toxiproxy.client.enable('cloud');
    expect((await exchange(port, 'hello')).data.toString()).toBe('hello');
  });

  it('removeToxic removes one toxic and leaves the others', async () => {
    await toxiproxy.client.latency('cloud', 1);
    await toxiproxy.client.limitData('cloud', 5);
    await toxiproxy.client.removeToxic('cloud', 'limit_data');
    expect((await toxiproxy.client.getProxy('cloud')).toxics.map((t) => t.name)).toEqual(['latency']);
  });

  it('reports API errors with the status and toxiproxy’s message', async () => {
    const err = await toxiproxy.client.getProxy('no-such-proxy').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToxiproxyError);
    expect((err as ToxiproxyError).status).toBe(404);
    expect((err as Error).message).toContain('proxy not found');
  });
});

describe('toxiproxy install recipe', () => {
  it('is data the doctor can show and run, and the binary is where it says', () => {
    expect(TOXIPROXY_RECIPE.install[1]).toEqual(['go', 'install', 'github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0']);
    expect(findToxiproxy()).toBeDefined();
  });
});

function exchangeDirect(port: number, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d);
    });
    socket.once('error', reject);
  });
}
