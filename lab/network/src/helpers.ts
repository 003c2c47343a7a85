/**
 * Long-running helpers inside a host: a TCP listener and a UDP echo server (from netprobe.ts)
 * so reachability can be tested before any MultiClaw service exists, and tcpdump captures.
 * Each is a child process of the harness; teardown by prefix also ends them if it is not.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFile, rename, rm } from 'node:fs/promises';
import { ProcessHandle } from '@multiclaw-lab/kit';
import type { Capture, ExecResult, Peer, TcpListenerHandle, UdpEchoHandle } from './driver.ts';
import { HelperFailedError } from './errors.ts';

export const NETPROBE = new URL('./netprobe.ts', import.meta.url).pathname;

/** Delivers a signal to a helper's program inside its host (the driver knows how), resolved once sent. */
export type SignalSender = (sig: NodeJS.Signals) => Promise<void>;

class NetprobeServer implements AsyncDisposable {
  readonly hostId: string;
  readonly address: string;
  readonly port: number;
  protected readonly handle: ProcessHandle;
  readonly #send: SignalSender;

  constructor(hostId: string, address: string, port: number, handle: ProcessHandle, send: SignalSender) {
    this.hostId = hostId;
    this.address = address;
    this.port = port;
    this.handle = handle;
    this.#send = send;
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

  /** the harness-side process (for the netns driver this is the program itself) */
  get pid(): number {
    return this.handle.pid;
  }

  /** sends a signal to the helper's program inside its host */
  signal(sig: NodeJS.Signals): Promise<void> {
    return this.#send(sig);
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
  kind: new (hostId: string, address: string, port: number, handle: ProcessHandle, send: SignalSender) => T,
  hostId: string,
  address: string,
  child: ChildProcess,
  send: SignalSender,
): Promise<T> {
  const handle = new ProcessHandle(`netprobe ${kind.name} in ${hostId}`, child);
  try {
    const ready = await handle.waitForLine((l) => l.json?.event === 'ready' || l.json?.event === 'error', 10_000);
    if (ready.json!.event === 'error')
      throw new HelperFailedError(`${kind.name} on ${address}`, hostId, String(ready.json!.message));
    return new kind(hostId, address, Number(ready.json!.port), handle, send);
  } catch (err) {
    await handle.stop(1_000);
    throw err;
  }
}

/**
 * tcpdump's arguments for a lab capture. `-Z root`: tcpdump would otherwise drop to its own user
 * and could not write into the lab's folders; `--immediate-mode`: without it packets still in the
 * kernel ring when the capture stops are lost; `-U`: each packet is written out as it comes.
 */
export function tcpdumpArgs(iface: string, file: string, filter?: string): string[] {
  return ['-i', iface, '-n', '-U', '--immediate-mode', '-Z', 'root', '-w', file, ...(filter ? [filter] : [])];
}

/** Collects a child's whole output and its exit code (killed after `timeoutMs`, when given). */
export function collectExit(child: ChildProcess, timeoutMs?: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.stdin!.end();
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** A tcpdump running in a host: ready once it says "listening on", stopped with SIGINT so the pcap is complete. */
export class TcpdumpCapture implements Capture, AsyncDisposable {
  readonly file: string;
  readonly hostId: string;
  readonly iface: string;
  readonly #handle: ProcessHandle;
  readonly #send: SignalSender;
  /** where tcpdump writes while it runs; moved to `file` on stop when it differs */
  readonly #written: string;

  private constructor(file: string, hostId: string, iface: string, handle: ProcessHandle, send: SignalSender, written: string) {
    this.file = file;
    this.hostId = hostId;
    this.iface = iface;
    this.#handle = handle;
    this.#send = send;
    this.#written = written;
  }

  static async start(
    hostId: string,
    iface: string,
    file: string,
    child: ChildProcess,
    options: { signal: SignalSender; written?: string },
  ): Promise<TcpdumpCapture> {
    const handle = new ProcessHandle(`tcpdump in ${hostId} on ${iface}`, child);
    try {
      await handle.waitForLine((l) => l.stream === 'stderr' && l.text.includes('listening on'), 10_000);
    } catch (err) {
      await handle.stop(1_000);
      throw new HelperFailedError(`packet capture on ${iface}`, hostId, handle.tail() || String(err));
    }
    return new TcpdumpCapture(file, hostId, iface, handle, options.signal, options.written ?? file);
  }

  async stop(): Promise<string> {
    if (this.#handle.running) {
      // SIGINT makes tcpdump flush and close the pcap
      await this.#send('SIGINT');
      const timer = setTimeout(() => void this.#send('SIGKILL').catch(() => undefined), 5_000);
      await this.#handle.waitForExit();
      clearTimeout(timer);
      if (this.#written !== this.file) await moveFile(this.#written, this.file);
    }
    return this.file;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** rename, or copy and remove when the two paths lie on different file systems */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch {
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}
