/**
 * A tiny network tool the driver runs inside a host namespace (`ip netns exec NS node
 * netprobe.ts ...`). It imports nothing but Node so it starts fast. Every output line is JSON.
 *
 *   tcp ADDR PORT [--timeout MS]   connect, close, print {"ok":true} or {"ok":false,"error":CODE}
 *   udp ADDR PORT [--timeout MS]   send a nonce, wait for it to come back from an echo server
 *   tcp-listen ADDR PORT           accept connections, print {"event":"tcp.accepted",...} per peer
 *   udp-echo ADDR PORT             send every datagram back, print {"event":"udp.echoed",...}
 *   udp-burst ADDR PORT --count N [--timeout MS]
 *                                  send N numbered datagrams to an echo server, print how many came back
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

function errorCode(err: unknown): string {
  return (err as { code?: string }).code ?? String(err);
}

function probeTcp(address: string, port: number, timeoutMs: number): void {
  const socket = connect({ host: address, port });
  const timer = setTimeout(() => {
    socket.destroy();
    print({ ok: false, error: 'ETIMEDOUT' });
  }, timeoutMs);
  socket.once('connect', () => {
    clearTimeout(timer);
    print({ ok: true, localAddress: socket.localAddress, localPort: socket.localPort });
    socket.end();
  });
  socket.once('error', (err) => {
    clearTimeout(timer);
    print({ ok: false, error: errorCode(err) });
  });
}

function probeUdp(address: string, port: number, timeoutMs: number): void {
  const socket = createSocket('udp4');
  const nonce = randomBytes(12).toString('hex');
  const done = (result: unknown) => {
    clearTimeout(timer);
    print(result);
    socket.close();
  };
  const timer = setTimeout(() => done({ ok: false, error: 'ETIMEDOUT' }), timeoutMs);
  socket.on('message', (msg) => {
    if (msg.toString() === nonce) done({ ok: true });
  });
  // ICMP port/host unreachable comes back as an error on a connected socket
  socket.on('error', (err) => done({ ok: false, error: errorCode(err) }));
  socket.connect(port, address, () => socket.send(nonce));
}

function burstUdp(address: string, port: number, count: number, timeoutMs: number): void {
  const socket = createSocket('udp4');
  const tag = randomBytes(6).toString('hex');
  const back = new Set<number>();
  const done = () => {
    print({ ok: back.size > 0, sent: count, received: back.size });
    socket.close();
  };
  socket.on('message', (msg) => {
    const [t, n] = msg.toString().split(':');
    if (t === tag) back.add(Number(n));
    if (back.size === count) {
      clearTimeout(timer);
      done();
    }
  });
  socket.on('error', () => undefined);
  const timer = setTimeout(done, timeoutMs);
  socket.connect(port, address, () => {
    for (let n = 0; n < count; n++) socket.send(`${tag}:${n}`);
  });
}

function listenTcp(address: string, port: number): void {
  const server = createServer((socket) => {
    print({ event: 'tcp.accepted', remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
    socket.on('error', () => {});
    socket.end();
  });
  server.on('error', (err) => {
    print({ event: 'error', error: errorCode(err), message: String(err) });
    process.exit(1);
  });
  server.listen(port, address, () => {
    const bound = server.address();
    print({ event: 'ready', address, port: typeof bound === 'object' && bound ? bound.port : port });
  });
}

function echoUdp(address: string, port: number): void {
  const socket = createSocket('udp4');
  socket.on('message', (msg, peer) => {
    socket.send(msg, peer.port, peer.address);
    print({ event: 'udp.echoed', remoteAddress: peer.address, remotePort: peer.port });
  });
  socket.on('error', (err) => {
    print({ event: 'error', error: errorCode(err), message: String(err) });
    process.exit(1);
  });
  socket.bind(port, address, () => print({ event: 'ready', address, port: socket.address().port }));
}

function main(argv: string[]): void {
  const [mode, address, portText] = argv;
  const timeoutAt = argv.indexOf('--timeout');
  const timeoutMs = timeoutAt >= 0 ? Number(argv[timeoutAt + 1]) : 2_000;
  const port = Number(portText);
  if (!address || !Number.isInteger(port) || port < 0 || port > 65535 || !(timeoutMs > 0)) {
    print({ ok: false, error: 'EUSAGE', message: 'usage: netprobe.ts tcp|udp|tcp-listen|udp-echo ADDR PORT [--timeout MS]' });
    process.exitCode = 2;
    return;
  }
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
  if (mode === 'tcp') probeTcp(address, port, timeoutMs);
  else if (mode === 'udp') probeUdp(address, port, timeoutMs);
  else if (mode === 'tcp-listen') listenTcp(address, port);
  else if (mode === 'udp-echo') echoUdp(address, port);
  else if (mode === 'udp-burst') {
    const countAt = argv.indexOf('--count');
    const count = countAt >= 0 ? Number(argv[countAt + 1]) : 100;
    if (!Number.isInteger(count) || count < 1 || count > 10_000) {
      print({ ok: false, error: 'EUSAGE', message: '--count takes 1 to 10000' });
      process.exitCode = 2;
      return;
    }
    burstUdp(address, port, count, timeoutMs);
  } else {
    print({ ok: false, error: 'EUSAGE', message: `unknown mode ${mode}` });
    process.exitCode = 2;
  }
}

main(process.argv.slice(2));
