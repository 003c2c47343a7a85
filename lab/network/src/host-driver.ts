/**
 * What every driver that runs real hosts shares, written once: programs run to completion,
 * reachability probes and their helper servers (netprobe.ts run by Node inside the host),
 * firewall faults as nft tables, packet captures with tcpdump, and per-host clocks from an
 * offset file in the host's folder. A driver supplies how to start a program inside a host,
 * how to signal it there, and how to load an nft table there; see netns-driver.ts and the
 * docker driver.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { faketimeEnv, type Logger, writeClockOffset } from '@multiclaw-lab/kit';
import type { Capture, DriverName, ExecResult, FaultTarget, LabDriver, ProbeResult, RunOptions } from './driver.ts';
import { HelperFailedError, NotUpError, UnknownSiteError } from './errors.ts';
import { type NftHost, NftTableFault } from './faults.ts';
import { collectExit, NETPROBE, startNetprobeServer, TcpdumpCapture, TcpListener, tcpdumpArgs, UdpEcho } from './helpers.ts';
import { faultTable } from './names.ts';
import { routerInterfaces } from './provision.ts';
import {
  type AllowedDestination,
  type EdgeScope,
  edgeDropRuleset,
  match,
  type Proto,
  proxyOnlyRuleset,
  type Redirect,
  redirectRuleset,
} from './rules.ts';
import { SYSTEM_PATH } from './run.ts';
import { hostById, type Site, type Topology } from './topology.ts';

export abstract class HostDriver implements LabDriver {
  abstract readonly name: DriverName;
  readonly topology: Topology;
  readonly prefix: string;
  readonly stateDir: string;
  protected readonly logger: Logger;
  readonly #faults = new Set<NftTableFault>();
  #seq = 0;

  protected constructor(topology: Topology, prefix: string, stateDir: string, logger: Logger) {
    this.topology = topology;
    this.prefix = prefix;
    this.stateDir = stateDir;
    this.logger = logger;
  }

  // ---- what each driver supplies ----
  abstract spawn(hostId: string, command: string, args: string[], options?: RunOptions): ChildProcess;
  abstract inHostArgv(hostId: string): string[] | undefined;
  abstract pids(): Promise<number[]>;
  abstract signal(child: ChildProcess, signal: NodeJS.Signals): Promise<void>;
  abstract pidInHost(child: ChildProcess): Promise<number>;
  abstract down(): Promise<void>;
  abstract leftovers(): Promise<string[]>;
  /** true once down() began: nothing new may start */
  protected abstract get isDown(): boolean;
  /** how nft tables are loaded and removed in one host */
  protected abstract nftHost(hostId: string): NftHost;
  /** where a capture is written while tcpdump runs (a path the host can write); moved to the caller's file on stop */
  protected captureFile(file: string): string {
    return file;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }

  protected checkUp(action: string): void {
    if (this.isDown) throw new NotUpError(this.prefix, action);
  }

  hostDir(hostId: string): string {
    return join(this.stateDir, 'hosts', hostById(this.topology, hostId).id);
  }

  /**
   * The environment a program in a host gets: exactly `options.env`, plus defaults the host
   * supplies when they are missing (a system PATH, HOME = the host's home/, SSL_CERT_FILE =
   * the host's trust store), so nothing of the harness's environment leaks in.
   */
  hostEnv(hostId: string, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const dir = this.hostDir(hostId);
    const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
    return { PATH: SYSTEM_PATH, HOME: join(dir, 'home'), SSL_CERT_FILE: join(dir, 'trust', 'ca-certificates.crt'), ...given };
  }

  // ---- clocks ----

  /** the offset file a host's processes read through libfaketime (inside the host's folder) */
  #clockFile(hostId: string): string {
    return join(this.hostDir(hostId), 'clock.offset');
  }

  clockEnv(hostId: string): Record<string, string> {
    return faketimeEnv(this.#clockFile(hostId));
  }

  async setClock(hostId: string, seconds: number): Promise<void> {
    this.checkUp(`set the clock of ${hostId}`);
    await writeClockOffset(this.#clockFile(hostId), seconds);
  }

  // ---- programs ----

  exec(hostId: string, command: string, args: string[], options: RunOptions & { timeoutMs?: number } = {}): Promise<ExecResult> {
    return collectExit(this.spawn(hostId, command, args, options), options.timeoutMs);
  }

  // ---- probes ----

  async #netprobeJson<T>(fromHost: string, what: string, args: string[], timeoutMs: number): Promise<T> {
    const r = await this.exec(fromHost, process.execPath, ['--no-warnings', NETPROBE, ...args], {
      env: {},
      timeoutMs: timeoutMs + 10_000,
    });
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      return JSON.parse(last) as T;
    } catch {
      throw new HelperFailedError(what, fromHost, `exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    }
  }

  async #probe(fromHost: string, mode: 'tcp' | 'udp', address: string, port: number, timeoutMs = 2_000): Promise<ProbeResult> {
    const parsed = await this.#netprobeJson<ProbeResult>(
      fromHost,
      `${mode} probe to ${address}:${port}`,
      [mode, address, String(port), '--timeout', String(timeoutMs)],
      timeoutMs,
    );
    return parsed.error ? { ok: parsed.ok, error: parsed.error } : { ok: parsed.ok };
  }

  probeTcp(fromHost: string, address: string, port: number, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    return this.#probe(fromHost, 'tcp', address, port, options.timeoutMs);
  }

  probeUdp(fromHost: string, address: string, port: number, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    return this.#probe(fromHost, 'udp', address, port, options.timeoutMs);
  }

  /** Sends `count` datagrams from `fromHost` to a UdpEcho and counts the echoes (for faults that drop a share). */
  async probeUdpBurst(
    fromHost: string,
    address: string,
    port: number,
    count: number,
    options: { timeoutMs?: number } = {},
  ): Promise<{ sent: number; received: number }> {
    const timeoutMs = options.timeoutMs ?? 2_000;
    const parsed = await this.#netprobeJson<{ sent: number; received: number }>(
      fromHost,
      `udp burst to ${address}:${port}`,
      ['udp-burst', address, String(port), '--count', String(count), '--timeout', String(timeoutMs)],
      timeoutMs,
    );
    return { sent: parsed.sent, received: parsed.received };
  }

  /** A TCP listener in a host (accepts, logs the peer, closes); port 0 picks a free one. */
  async startTcpListener(hostId: string, address: string, port: number): Promise<TcpListener> {
    const child = this.spawn(hostId, process.execPath, ['--no-warnings', NETPROBE, 'tcp-listen', address, String(port)], {
      env: {},
    });
    return startNetprobeServer(TcpListener, hostId, address, child, (sig) => this.signal(child, sig));
  }

  /** A UDP echo server in a host, for probeUdp. */
  async startUdpEcho(hostId: string, port: number, address = '0.0.0.0'): Promise<UdpEcho> {
    const child = this.spawn(hostId, process.execPath, ['--no-warnings', NETPROBE, 'udp-echo', address, String(port)], {
      env: {},
    });
    return startNetprobeServer(UdpEcho, hostId, address, child, (sig) => this.signal(child, sig));
  }

  // ---- firewall ----

  #site(siteId: string): Site {
    const site = this.topology.sites.find((s) => s.id === siteId);
    if (!site)
      throw new UnknownSiteError(
        siteId,
        this.topology.sites.map((s) => s.id),
      );
    return site;
  }

  /** Where a site's faults go: its router, acting on the router's WAN link. */
  protected siteEdge(site: Site): { hostId: string; scope: EdgeScope } {
    return { hostId: site.router, scope: { kind: 'site', wanInterface: routerInterfaces(this.topology, site).wan } };
  }

  #scope(target: FaultTarget): { hostId: string; scope: EdgeScope; label: string } {
    if ('site' in target) {
      const site = this.#site(target.site);
      return { ...this.siteEdge(site), label: `site ${site.id}` };
    }
    return { hostId: hostById(this.topology, target.host).id, scope: { kind: 'host' }, label: `host ${target.host}` };
  }

  async #apply(kind: string, description: string, hostId: string, ruleset: (table: string) => string): Promise<NftTableFault> {
    this.checkUp(description);
    const table = faultTable(kind, ++this.#seq);
    let fault: NftTableFault | undefined;
    fault = await NftTableFault.apply(description, this.nftHost(hostId), table, ruleset(table), this.logger, () => {
      if (fault) this.#faults.delete(fault);
    });
    this.#faults.add(fault);
    return fault;
  }

  /** Drops all UDP across a site's internet link, or in and out of one host. */
  async blockUdp(target: FaultTarget): Promise<NftTableFault> {
    const { hostId, scope, label } = this.#scope(target);
    return this.#apply('blockudp', `block UDP at ${label}`, hostId, (t) => edgeDropRuleset(t, scope, match.udp()));
  }

  /**
   * Drops UDP between a site (or host) and one peer address, other UDP still passes: a firewall
   * that makes a direct WebRTC path impossible while the TURN relay stays reachable.
   */
  async blockUdpWithPeer(target: FaultTarget, address: string): Promise<NftTableFault> {
    const { hostId, scope, label } = this.#scope(target);
    return this.#apply('blockudppeer', `block UDP between ${label} and ${address}`, hostId, (t) =>
      edgeDropRuleset(t, scope, match.udpWithPeer(address)),
    );
  }

  /** Drops packets to `port` in and out of a host (for a router: also everything it forwards). */
  async blockPort(hostId: string, port: number, proto: Proto = 'tcp'): Promise<NftTableFault> {
    const { scope } = this.#scope({ host: hostId });
    return this.#apply('blockport', `block ${proto} port ${port} at host ${hostId}`, hostId, (t) =>
      edgeDropRuleset(t, scope, match.port(proto, port)),
    );
  }

  /** Drops `percent` % of packets (each direction, chosen at random per packet). */
  async dropShare(target: FaultTarget, percent: number): Promise<NftTableFault> {
    const { hostId, scope, label } = this.#scope(target);
    const rule = match.share(percent);
    return this.#apply('dropshare', `drop ${percent}% of packets at ${label}`, hostId, (t) => edgeDropRuleset(t, scope, rule));
  }

  /** The site's router passes nothing to or from the internet; the LAN still works. */
  async cutSite(siteId: string): Promise<NftTableFault> {
    const { hostId, scope } = this.#scope({ site: siteId });
    return this.#apply('cutsite', `cut site ${siteId} off the internet`, hostId, (t) => edgeDropRuleset(t, scope, match.all()));
  }

  /** LAN hosts may reach only the router itself (its proxy) and the allowed destinations. */
  async proxyOnly(siteId: string, options: { allow?: AllowedDestination[] } = {}): Promise<NftTableFault> {
    const site = this.#site(siteId);
    const allow = options.allow ?? [];
    const { lan } = routerInterfaces(this.topology, site);
    const shown = allow.map((a) => `${a.address}:${a.port}`).join(', ') || 'nothing';
    return this.#apply('proxyonly', `proxy-only egress at site ${siteId} (direct: ${shown})`, site.router, (t) =>
      proxyOnlyRuleset(t, lan, site.lanAddress, allow),
    );
  }

  /** Steers the site's TCP to toAddress:toPort into a local port on the router (toxiproxy, mitmproxy). */
  async redirectTcp(siteId: string, redirect: Redirect): Promise<NftTableFault> {
    const site = this.#site(siteId);
    const { lan } = routerInterfaces(this.topology, site);
    const description = `redirect site ${siteId} TCP ${redirect.toAddress}:${redirect.toPort} to router port ${redirect.localPort}`;
    return this.#apply('steer', description, site.router, (t) => redirectRuleset(t, lan, redirect));
  }

  /** Faults and steering rules currently in force. */
  get activeFaults(): NftTableFault[] {
    return [...this.#faults];
  }

  /** Forgets every fault (their tables went with the hosts). */
  protected forgetFaults(): void {
    this.#faults.clear();
  }

  // ---- captures ----

  /** tcpdump on one interface of a host, writing a pcap `file` (a path the harness can read). */
  async capture(hostId: string, iface: string, options: { filter?: string; file: string }): Promise<Capture> {
    this.checkUp(`capture on ${iface} in ${hostId}`);
    const written = this.captureFile(options.file);
    const args = tcpdumpArgs(iface, written, options.filter);
    const child = this.spawn(hostId, 'tcpdump', args, { env: {}, user: 'root' });
    return TcpdumpCapture.start(hostId, iface, options.file, child, {
      signal: (sig) => this.signal(child, sig),
      written,
    });
  }
}
