/**
 * Long-running helpers inside a host: a TCP listener and a UDP echo server (from netprobe.ts)
 * so reachability can be tested before any MultiClaw service exists, and tcpdump captures.
 * Each is a child process of the harness; teardown by prefix also ends them if it is not.
 */
import type { ChildProcess } from 'node:child_process';
import { ProcessHandle } from '@multiclaw-lab/kit';
import type { Capture, Peer, TcpListenerHandle, UdpEchoHandle } from './driver.ts';
import { HelperFailedError } from './errors.ts';

export const NETPROBE = new URL('./netprobe.ts', import.meta.url).pathname;

class NetprobeServer implements AsyncDisposable {
  readonly hostId: string;
  readonly address: string;
  readonly port: number;
  protected readonly handle: ProcessHandle;

  constructor(hostId: string, address: string, port: number, handle: ProcessHandle) {
    this.hostId = hostId;
    this.address = address;
    this.port = port;
    this.handle = handle;
  }

  protected peers(event: string): Peer[] {
    return this.handle
      .jsonLines()
      .filter((l) => l.event === event)
      .map((l) => ({ remoteAddress: String(l.remoteAddress), remotePort: Number(l.remotePort) }));
  }

  protected async waitForPeer(event: string, from: string | undefined, timeoutMs: number): Promise<Peer> {
    const line = await this.handle.waitForLine(
      (l) => l.json?.event === event && (from === undefined || l.json.remoteAddress === from),
      timeoutMs,
    );
    return { remoteAddress: String(line.json!.remoteAddress), remotePort: Number(line.json!.remotePort) };
  }

  get pid(): number {
    return this.handle.pid;
  }

  stop(): Promise<void> {
    return this.handle.stop(2_000);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export class TcpListener extends NetprobeServer implements TcpListenerHandle {
  /** every connection accepted so far */
  accepted(): Peer[] {
    return this.peers('tcp.accepted');
  }
  /** resolves with the first accepted connection (from `from`, if given), past or future */
  waitForConnection(from?: string, timeoutMs = 5_000): Promise<Peer> {
    return this.waitForPeer('tcp.accepted', from, timeoutMs);
  }
}

export class UdpEcho extends NetprobeServer implements UdpEchoHandle {
  echoed(): Peer[] {
    return this.peers('udp.echoed');
  }
  waitForDatagram(from?: string, timeoutMs = 5_000): Promise<Peer> {
    return this.waitForPeer('udp.echoed', from, timeoutMs);
  }
}

/** Wraps a netprobe server child and waits for its ready line. */
export async function startNetprobeServer<T extends NetprobeServer>(
  kind: new (hostId: string, address: string, port: number, handle: ProcessHandle) => T,
  hostId: string,
  address: string,
  child: ChildProcess,
): Promise<T> {
  const handle = new ProcessHandle(`netprobe ${kind.name} in ${hostId}`, child);
  try {
    const ready = await handle.waitForLine((l) => l.json?.event === 'ready' || l.json?.event === 'error', 10_000);
    if (ready.json!.event === 'error')
      throw new HelperFailedError(`${kind.name} on ${address}`, hostId, String(ready.json!.message));
    return new kind(hostId, address, Number(ready.json!.port), handle);
  } catch (err) {
    await handle.stop(1_000);
    throw err;
  }
}

/** A tcpdump running in a host: ready once it says "listening on", stopped with SIGINT so the pcap is complete. */
export class TcpdumpCapture implements Capture, AsyncDisposable {
  readonly file: string;
  readonly hostId: string;
  readonly iface: string;
  readonly #handle: ProcessHandle;

  private constructor(file: string, hostId: string, iface: string, handle: ProcessHandle) {
    this.file = file;
    this.hostId = hostId;
    this.iface = iface;
    this.#handle = handle;
  }

  static async start(hostId: string, iface: string, file: string, child: ChildProcess): Promise<TcpdumpCapture> {
    const handle = new ProcessHandle(`tcpdump in ${hostId} on ${iface}`, child);
    try {
      await handle.waitForLine((l) => l.stream === 'stderr' && l.text.includes('listening on'), 10_000);
    } catch (err) {
      await handle.stop(1_000);
      throw new HelperFailedError(`packet capture on ${iface}`, hostId, handle.tail() || String(err));
    }
    return new TcpdumpCapture(file, hostId, iface, handle);
  }

  async stop(): Promise<string> {
    if (this.#handle.running) {
      this.#handle.signal('SIGINT');
      const timer = setTimeout(() => this.#handle.signal('SIGKILL'), 5_000);
      await this.#handle.waitForExit();
      clearTimeout(timer);
    }
    return this.file;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
