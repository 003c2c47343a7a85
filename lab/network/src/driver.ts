import type { ChildProcess } from 'node:child_process';
import type { Topology } from './topology.ts';

/**
 * What the harness asks of a driver: make a topology real, run programs inside its hosts,
 * probe reachability, apply and heal firewall faults, capture packets, and take it all down
 * again. The netns driver is the first implementation; docker and aws come later and reuse
 * the topology and this interface.
 */
export interface RunOptions {
  env?: NodeJS.ProcessEnv; // the whole environment of the child (nothing is inherited)
  cwd?: string;
  /** run as this system account instead of root (e.g. 'postgres') */
  user?: string;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ProbeResult {
  ok: boolean;
  /** e.g. 'ECONNREFUSED', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH' */
  error?: string;
}

/** A fault in force until healed; heal() is idempotent. */
export interface Fault {
  readonly description: string;
  heal(): Promise<void>;
}

export interface Capture {
  readonly file: string; // pcap file path (readable by the harness)
  /** stops capturing and returns the pcap file path */
  stop(): Promise<string>;
}

export interface LabDriver extends AsyncDisposable {
  readonly name: 'netns' | 'docker' | 'aws';
  readonly topology: Topology;
  /** per-host folder on the harness side: `home/`, `trust/`, `etc/` live in it */
  hostDir(hostId: string): string;
  /** starts a long-running program inside a host; stdio is piped to the caller */
  spawn(hostId: string, command: string, args: string[], options?: RunOptions): ChildProcess;
  /** runs a program inside a host to completion */
  exec(hostId: string, command: string, args: string[], options?: RunOptions & { timeoutMs?: number }): Promise<ExecResult>;
  /** opens a TCP connection from `fromHost` to address:port and closes it */
  probeTcp(fromHost: string, address: string, port: number, options?: { timeoutMs?: number }): Promise<ProbeResult>;
  /** sends a UDP datagram from `fromHost` and waits for an echo from a UdpEcho started with startUdpEcho */
  probeUdp(fromHost: string, address: string, port: number, options?: { timeoutMs?: number }): Promise<ProbeResult>;
  /** PIDs of every process running inside the lab's hosts */
  pids(): Promise<number[]>;
  down(): Promise<void>;
}
