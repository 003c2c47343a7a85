import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { type HostRunner, toolEnv } from '../runner.ts';
import { ServiceProcess, startService } from '../service.ts';

const run = promisify(execFile);

/**
 * Packet captures as evidence: tcpdump writes them inside a host, tshark reads them on the
 * harness side. `pcapContains` is the "never in plaintext" check.
 */
export interface Packet {
  number: number;
  time: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  proto: string;
  /** bytes on the wire (frame.len) */
  length: number;
  /** TCP stream index (tshark's tcp.stream) */
  stream?: number;
  /** payload bytes as hex, when asked for */
  payloadHex?: string;
}

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'ip.src',
  'ip.dst',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  '_ws.col.Protocol',
  'tcp.stream',
  'tcp.payload',
  'udp.payload',
  'frame.len',
];

export async function readPcap(file: string, options: { filter?: string; payload?: boolean } = {}): Promise<Packet[]> {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  for (const f of FIELDS) args.push('-e', f);
  if (options.filter) args.push('-Y', options.filter);
  const { stdout } = await run('tshark', args, { env: toolEnv(), maxBuffer: 512 * 1024 * 1024 });
  const num = (s: string | undefined) => (s ? Number(s) : undefined);
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [n, time, src, dst, tsp, tdp, usp, udp, proto, stream, tcpPayload, udpPayload, len] = line.split('\t');
      const payload = (tcpPayload || udpPayload || '').replaceAll(':', '');
      const packet: Packet = {
        number: Number(n),
        time: Number(time),
        src: src ?? '',
        dst: dst ?? '',
        proto: proto ?? '',
        length: Number(len ?? 0),
      };
      const srcPort = num(tsp) ?? num(usp);
      const dstPort = num(tdp) ?? num(udp);
      if (srcPort !== undefined) packet.srcPort = srcPort;
      if (dstPort !== undefined) packet.dstPort = dstPort;
      if (stream) packet.stream = Number(stream);
      if (options.payload && payload) packet.payloadHex = payload;
      return packet;
    });
}

/**
 * True when `needle` appears in the capture: in any single packet, or split across the
 * packets of one TCP direction (each stream's payloads are joined in capture order, which on
 * one host's interface is the order they were sent).
 */
export async function pcapContains(file: string, needle: string | Buffer): Promise<boolean> {
  const bytes = typeof needle === 'string' ? Buffer.from(needle) : needle;
  if (bytes.length === 0) throw new RangeError('pcapContains needs a non-empty needle');
  if ((await readFile(file)).includes(bytes)) return true;
  const joined = new Map<string, Buffer[]>();
  for (const p of await readPcap(file, { payload: true })) {
    if (!p.payloadHex || p.stream === undefined) continue;
    const key = `${p.stream} ${p.src}:${p.srcPort}`;
    const parts = joined.get(key) ?? [];
    parts.push(Buffer.from(p.payloadHex, 'hex'));
    joined.set(key, parts);
  }
  for (const parts of joined.values()) if (Buffer.concat(parts).includes(bytes)) return true;
  return false;
}

export class CaptureHandle extends ServiceProcess {
  readonly file: string;
  constructor(process: ServiceProcess['process'], file: string) {
    super(process);
    this.file = file;
  }
  /** stops tcpdump (it flushes on SIGTERM) and returns the pcap file */
  async finish(): Promise<string> {
    await this.stop();
    return this.file;
  }
}

/**
 * tcpdump on one interface of the runner's host, writing every packet to `file` as it comes.
 * --immediate-mode: without it packets wait in the kernel's ring buffer and a SIGTERM loses them.
 */
export async function startCapture(
  runner: HostRunner,
  options: { interface: string; file: string; filter?: string; snaplen?: number },
): Promise<CaptureHandle> {
  if (!/^[\w.@-]+$/.test(options.interface)) throw new RangeError(`bad interface name "${options.interface}"`);
  // -Z root: Debian's tcpdump otherwise switches to the tcpdump user and cannot write the lab's folders
  const args = [
    '-i',
    options.interface,
    '-n',
    '-U',
    '--immediate-mode',
    '-Z',
    'root',
    '-s',
    String(options.snaplen ?? 0),
    '-w',
    options.file,
  ];
  if (options.filter) args.push(options.filter);
  const proc = await startService({
    runner,
    name: `tcpdump-${options.interface}`,
    command: 'tcpdump',
    args,
    env: toolEnv(),
    isReady: (line) => line.text.includes('listening on'),
  });
  return new CaptureHandle(proc, options.file);
}
