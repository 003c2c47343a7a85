/**
 * The driver contract: everything the harness, scenarios and checkers may ask of the thing that
 * makes a topology real. It is split by concern (processes in hosts, probes, firewall faults,
 * captures, clocks) and joined in LabDriver; a driver is one implementation of all of it, and
 * the conformance suite (testing/conformance.ts) proves each promise below on a real one.
 * Scenarios and checkers use only this contract; which driver makes a lab is chosen where the
 * lab is started (startLab's `driver`, netns unless told otherwise).
 */
import type { ChildProcess } from 'node:child_process';
import type { AllowedDestination, Proto, Redirect } from './rules.ts';
import type { Topology } from './topology.ts';

export type DriverName = 'netns' | 'docker' | 'aws';

export interface RunOptions {
  env?: NodeJS.ProcessEnv; // the whole environment of the child (nothing is inherited)
  cwd?: string;
  /** run as this system account instead of root (e.g. 'postgres') */
  user?: string;
  /**
   * a long-lived service: raise its open-file limit (soft and hard) towards this many, as far as
   * the driver may (netns as root: see fd-limit.ts); a driver that cannot leaves it as it is
   */
  openFiles?: number;
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

/** The far end of a connection or datagram a helper server saw. */
export interface Peer {
  remoteAddress: string;
  remotePort: number;
}

/** A helper server inside a host (probe target); stopping it ends its process. */
export interface HelperServer extends AsyncDisposable {
  readonly hostId: string;
  readonly address: string;
  readonly port: number;
  /** sends a signal to the helper's program inside its host (pause, continue, kill), resolved once sent */
  signal(sig: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface TcpListenerHandle extends HelperServer {
  /** every connection accepted so far */
  accepted(): Peer[];
  /** resolves with the first accepted connection (from `from`, if given), past or future */
  waitForConnection(from?: string, timeoutMs?: number): Promise<Peer>;
}

export interface UdpEchoHandle extends HelperServer {
  echoed(): Peer[];
  waitForDatagram(from?: string, timeoutMs?: number): Promise<Peer>;
}

/** A fault target: a whole site (its link to the internet) or one host (all its interfaces but lo). */
export type FaultTarget = { site: string } | { host: string };

/** Programs inside hosts, and each host's own files. */
export interface HostProcesses {
  /** per-host folder on the harness side: `home/`, `trust/`, `etc/` live in it */
  hostDir(hostId: string): string;
  /**
   * Starts a long-running program inside a host; stdio is piped to the caller. `process.execPath`
   * as the command means Node as the host has it (the same version as the harness's). Its exit
   * is the returned child's exit, and `child.kill(sig)` reaches the program (stop works through
   * it); for a signal whose delivery must be complete before the caller goes on (pause, kill
   * as a fault), use signal().
   */
  spawn(hostId: string, command: string, args: string[], options?: RunOptions): ChildProcess;
  /** delivers a signal to a program started with spawn(), inside its host; resolves once delivered */
  signal(child: ChildProcess, sig: NodeJS.Signals): Promise<void>;
  /** the program's process id inside its host: what `ps` or `ss -p` run in that host show */
  pidInHost(child: ChildProcess): Promise<number>;
  /** runs a program inside a host to completion */
  exec(hostId: string, command: string, args: string[], options?: RunOptions & { timeoutMs?: number }): Promise<ExecResult>;
  /**
   * The argv prefix that runs a command inside a host while keeping every file descriptor the
   * caller gives it (a browser driven over a pipe on fds 3/4 needs that); undefined where the
   * driver cannot do it, and what needs it is then skipped with that reason.
   */
  inHostArgv(hostId: string): string[] | undefined;
  /**
   * PIDs, as the machine running the lab sees them, of every process inside the lab's hosts: what
   * must be gone after down() (empty where the driver's hosts are not processes of this machine)
   */
  pids(): Promise<number[]>;
}

/** Reachability from inside a host, and the servers that answer the probes. */
export interface Probes {
  /** opens a TCP connection from `fromHost` to address:port and closes it */
  probeTcp(fromHost: string, address: string, port: number, options?: { timeoutMs?: number }): Promise<ProbeResult>;
  /** sends a UDP datagram from `fromHost` and waits for an echo from a server started with startUdpEcho */
  probeUdp(fromHost: string, address: string, port: number, options?: { timeoutMs?: number }): Promise<ProbeResult>;
  /** sends `count` datagrams to a UDP echo and counts the echoes (for faults that drop a share) */
  probeUdpBurst(
    fromHost: string,
    address: string,
    port: number,
    count: number,
    options?: { timeoutMs?: number },
  ): Promise<{ sent: number; received: number }>;
  /** a TCP listener in a host (accepts, records the peer, closes); port 0 picks a free one */
  startTcpListener(hostId: string, address: string, port: number): Promise<TcpListenerHandle>;
  /** a UDP echo server in a host, for probeUdp */
  startUdpEcho(hostId: string, port: number, address?: string): Promise<UdpEchoHandle>;
}

/** Firewall faults and steering rules; each returns a Fault whose heal() removes exactly it. */
export interface Firewall {
  /** drops all UDP across a site's internet link, or in and out of one host */
  blockUdp(target: FaultTarget): Promise<Fault>;
  /** drops UDP between a site (or host) and one peer address; other UDP still passes */
  blockUdpWithPeer(target: FaultTarget, address: string): Promise<Fault>;
  /** drops packets to `port` in and out of a host (for a router: also everything it forwards) */
  blockPort(hostId: string, port: number, proto?: Proto): Promise<Fault>;
  /** drops `percent` % of packets (0–100, each direction, at random per packet) */
  dropShare(target: FaultTarget, percent: number): Promise<Fault>;
  /** the site's router passes nothing to or from the internet; the LAN still works */
  cutSite(siteId: string): Promise<Fault>;
  /** LAN hosts may reach only the router itself (its proxy) and the allowed destinations */
  proxyOnly(siteId: string, options?: { allow?: AllowedDestination[] }): Promise<Fault>;
  /** steers the site's TCP to toAddress:toPort into a local port on the router (toxiproxy, mitmproxy) */
  redirectTcp(siteId: string, redirect: Redirect): Promise<Fault>;
  /** faults and steering rules currently in force */
  readonly activeFaults: readonly Fault[];
}

export interface Captures {
  /** a packet capture on one interface of a host, written as pcap to `file` (a path the harness can read) */
  capture(hostId: string, iface: string, options: { filter?: string; file: string }): Promise<Capture>;
}

/** Per-host wall clocks (libfaketime): processes started with clockEnv() see the host's offset, live. */
export interface Clocks {
  /** the environment that makes a process in this host follow the host's clock */
  clockEnv(hostId: string): Record<string, string>;
  /** moves the host's wall clock to real time + `seconds` (whole seconds, may be negative) */
  setClock(hostId: string, seconds: number): Promise<void>;
}

export interface LabDriver extends HostProcesses, Probes, Firewall, Captures, Clocks, AsyncDisposable {
  readonly name: DriverName;
  readonly topology: Topology;
  /** removes everything this lab made (idempotent) */
  down(): Promise<void>;
  /** what of this lab still exists on the machine, one line each; empty after down() */
  leftovers(): Promise<string[]>;
}

/** Makes a topology real with one driver: what `startLab` and the conformance suite are given. */
export type DriverFactory = (
  topology: Topology,
  options: { prefix: string; stateDir: string; onProgress?: (detail: string) => void },
) => Promise<LabDriver>;
