/**
 * A port sweep in the manner of nmap, run by the harness inside a host's namespace (`node
 * port-sweep.ts ADDR`): it imports nothing but Node. Every TCP port 1–65535 gets a connect (open:
 * it connects; closed: the host answers RST; filtered: nothing within the timeout), every UDP
 * port a datagram (closed: ICMP port unreachable; open: a reply; silent: neither, which nmap
 * calls open|filtered — a UDP socket that reads and does not answer looks like this). Prints one
 * JSON line: the open/filtered/silent ports and how many were closed.
 *
 *   port-sweep.ts ADDR [--tcp-only] [--batch N] [--timeout MS]
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

type TcpState = 'open' | 'closed' | 'filtered';
type UdpState = 'open' | 'closed' | 'silent';

function tcpPort(address: string, port: number, timeoutMs: number): Promise<TcpState> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (state: TcpState) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('filtered'), timeoutMs);
    socket.once('connect', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'closed' : 'filtered'));
  });
}

/** A connected UDP socket hears the ICMP port unreachable as ECONNREFUSED. */
function udpPort(address: string, port: number, timeoutMs: number): Promise<UdpState> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    let timer: NodeJS.Timeout | undefined;
    const done = (state: UdpState) => {
      clearTimeout(timer);
      socket.close();
      resolve(state);
    };
    socket.once('message', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'closed' : 'silent'));
    socket.connect(port, address, () => {
      timer = setTimeout(() => done('silent'), timeoutMs);
      // some services answer only a well-formed request; an empty datagram still draws the ICMP
      socket.send(Buffer.from('\r\n'));
    });
  });
}

async function sweep<S extends string>(probe: (port: number) => Promise<S>, batch: number): Promise<Map<S, number[]>> {
  const found = new Map<S, number[]>();
  for (let first = 1; first <= 65_535; first += batch) {
    const ports = Array.from({ length: Math.min(batch, 65_536 - first) }, (_, i) => first + i);
    const states = await Promise.all(ports.map(probe));
    states.forEach((state, i) => {
      const list = found.get(state) ?? [];
      list.push(ports[i]!);
      found.set(state, list);
    });
  }
  return found;
}

async function main(argv: string[]): Promise<void> {
  const [address] = argv;
  const option = (name: string, fallback: number) => {
    const at = argv.indexOf(name);
    return at >= 0 ? Number(argv[at + 1]) : fallback;
  };
  const batch = option('--batch', 400);
  const timeoutMs = option('--timeout', 1_000);
  if (!address) throw new Error('usage: port-sweep.ts ADDR [--tcp-only] [--batch N] [--timeout MS]');
  const started = Date.now();
  const tcp = await sweep((port) => tcpPort(address, port, timeoutMs), batch);
  const udp = argv.includes('--tcp-only') ? undefined : await sweep((port) => udpPort(address, port, timeoutMs), batch);
  process.stdout.write(
    `${JSON.stringify({
      address,
      ms: Date.now() - started,
      tcp: { open: tcp.get('open') ?? [], filtered: tcp.get('filtered') ?? [], closed: (tcp.get('closed') ?? []).length },
      ...(udp
        ? { udp: { open: udp.get('open') ?? [], silent: udp.get('silent') ?? [], closed: (udp.get('closed') ?? []).length } }
        : {}),
    })}\n`,
  );
}

await main(process.argv.slice(2));
