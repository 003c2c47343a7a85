import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, faketimeEnv, type Logger, writeClockOffset } from '@multiclaw-lab/kit';
import type { Capture, DriverFactory, ExecResult, FaultTarget, LabDriver, ProbeResult, RunOptions } from './driver.ts';
import { HelperFailedError, LabAlreadyUpError, NotUpError, UnknownSiteError } from './errors.ts';
import { NftTableFault } from './faults.ts';
import { NETPROBE, startNetprobeServer, TcpdumpCapture, TcpListener, UdpEcho } from './helpers.ts';
import {
  belongsToPrefix,
  checkPrefix,
  checkTopologyNames,
  DEFAULT_PREFIX,
  fabricNamespace,
  faultTable,
  hostNamespace,
} from './names.ts';
import { type Progress, provision, routerInterfaces } from './provision.ts';
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
import { checkPrerequisites, requireTool, SYSTEM_PATH } from './run.ts';
import { ETC_NETNS, labNamespaces, pidsIn, type TeardownReport, teardownByPrefix } from './teardown.ts';
import { hostById, type Site, type Topology } from './topology.ts';

const groups = new Map<string, string>();
/** The primary group id of a system account (its group need not share its name: nobody/nogroup). */
function primaryGroup(user: string): string {
  let gid = groups.get(user);
  if (gid === undefined) {
    gid = execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim();
    groups.set(user, gid);
  }
  return gid;
}

export interface NetnsUpOptions {
  /** names everything the lab creates; default "mcl" */
  prefix?: string;
  /** the lab's state folder: hosts/<id>/{home,trust,etc} and run/ are made in it */
  stateDir: string;
  onProgress?: Progress;
  logger?: Logger;
}

/**
 * The netns driver: every host a network namespace `<prefix>-<host>`, every segment a bridge in
 * `<prefix>-fabric`, routers doing NAT and firewalling with nftables. See README.md.
 */
export class NetnsDriver implements LabDriver {
  readonly name = 'netns' as const;
  readonly topology: Topology;
  readonly prefix: string;
  readonly stateDir: string;
  readonly #logger: Logger;
  readonly #faults = new Set<NftTableFault>();
  #seq = 0;
  #down: Promise<TeardownReport> | undefined;

  private constructor(topology: Topology, prefix: string, stateDir: string, logger: Logger) {
    this.topology = topology;
    this.prefix = prefix;
    this.stateDir = stateDir;
    this.#logger = logger;
  }

  static async up(topology: Topology, options: NetnsUpOptions): Promise<NetnsDriver> {
    checkPrerequisites();
    const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
    checkTopologyNames(topology);
    const logger = options.logger ?? createLogger({ service: 'lab-netns', level: 'silent' });
    const existing = await labNamespaces(prefix);
    if (existing.length > 0) throw new LabAlreadyUpError(prefix, existing);
    const progress: Progress = (step) => {
      logger.info({ event: 'netns.progress', prefix, step }, step);
      options.onProgress?.(step);
    };
    const started = Date.now();
    try {
      await provision(topology, prefix, options.stateDir, progress);
    } catch (err) {
      progress('failed; removing what was made');
      await teardownByPrefix(prefix, { stateDir: options.stateDir }).catch((cleanupErr: unknown) =>
        logger.error({ event: 'netns.cleanup_failed', err: cleanupErr }, 'cleanup after a failed up failed too'),
      );
      throw err;
    }
    logger.info({ event: 'netns.up', prefix, hosts: topology.hosts.length, ms: Date.now() - started }, 'lab network up');
    const driver = new NetnsDriver(topology, prefix, options.stateDir, logger);
    try {
      // every host starts on real time; the offset files exist before any process reads them
      for (const host of topology.hosts) await driver.setClock(host.id, 0);
    } catch (err) {
      await driver.down();
      throw err;
    }
    return driver;
  }

  namespaceOf(hostId: string): string {
    return hostNamespace(this.prefix, hostById(this.topology, hostId).id);
  }

  get namespaces(): string[] {
    return [fabricNamespace(this.prefix), ...this.topology.hosts.map((h) => hostNamespace(this.prefix, h.id))];
  }

  hostDir(hostId: string): string {
    return join(this.stateDir, 'hosts', hostById(this.topology, hostId).id);
  }

  /** the offset file a host's processes read through libfaketime (inside the host's folder) */
  #clockFile(hostId: string): string {
    return join(this.hostDir(hostId), 'clock.offset');
  }

  clockEnv(hostId: string): Record<string, string> {
    return faketimeEnv(this.#clockFile(hostId));
  }

  async setClock(hostId: string, seconds: number): Promise<void> {
    this.#checkUp(`set the clock of ${hostId}`);
    await writeClockOffset(this.#clockFile(hostId), seconds);
  }

  /** `ip netns exec` keeps every descriptor it is given and execs the command, so signals reach it. */
  inHostArgv(hostId: string): string[] {
    return [requireTool('ip'), 'netns', 'exec', this.namespaceOf(hostId)];
  }

  #checkUp(action: string): void {
    if (this.#down) throw new NotUpError(this.prefix, action);
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

  spawn(hostId: string, command: string, args: string[], options: RunOptions = {}): ChildProcess {
    this.#checkUp(`start ${command} in ${hostId}`);
    // setpriv execs the command (runuser would fork and stay in between, swallowing signals
    // meant for the service); the environment is kept as given
    const asUser = options.user
      ? [requireTool('setpriv'), `--reuid=${options.user}`, `--regid=${primaryGroup(options.user)}`, '--init-groups', '--']
      : [];
    const argv = ['netns', 'exec', this.namespaceOf(hostId), ...asUser, command, ...args];
    this.#logger.debug({ event: 'netns.spawn', host: hostId, command, user: options.user }, 'spawn');
    return spawn(requireTool('ip'), argv, { env: this.hostEnv(hostId, options.env), cwd: options.cwd, stdio: 'pipe' });
  }

  exec(hostId: string, command: string, args: string[], options: RunOptions & { timeoutMs?: number } = {}): Promise<ExecResult> {
    const child = this.spawn(hostId, command, args, options);
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout!.on('data', (b: Buffer) => out.push(b));
      child.stderr!.on('data', (b: Buffer) => err.push(b));
      child.stdin!.end();
      const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
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

  async pids(): Promise<number[]> {
    return pidsIn(this.namespaces);
  }

  async #netprobe(fromHost: string, mode: 'tcp' | 'udp', address: string, port: number, timeoutMs = 2_000): Promise<ProbeResult> {
    const args = ['--no-warnings', NETPROBE, mode, address, String(port), '--timeout', String(timeoutMs)];
    const r = await this.exec(fromHost, process.execPath, args, { env: {}, timeoutMs: timeoutMs + 10_000 });
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      const parsed = JSON.parse(last) as ProbeResult;
      return parsed.error ? { ok: parsed.ok, error: parsed.error } : { ok: parsed.ok };
    } catch {
      throw new HelperFailedError(
        `${mode} probe to ${address}:${port}`,
        fromHost,
        `exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`,
      );
    }
  }

  probeTcp(fromHost: string, address: string, port: number, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    return this.#netprobe(fromHost, 'tcp', address, port, options.timeoutMs);
  }

  probeUdp(fromHost: string, address: string, port: number, options: { timeoutMs?: number } = {}): Promise<ProbeResult> {
    return this.#netprobe(fromHost, 'udp', address, port, options.timeoutMs);
  }

  /**
   * Sends `count` datagrams from `fromHost` to a UdpEcho and counts the echoes: the probe for
   * faults that drop a share of packets.
   */
  async probeUdpBurst(
    fromHost: string,
    address: string,
    port: number,
    count: number,
    options: { timeoutMs?: number } = {},
  ): Promise<{ sent: number; received: number }> {
    const timeoutMs = options.timeoutMs ?? 2_000;
    const args = [
      '--no-warnings',
      NETPROBE,
      'udp-burst',
      address,
      String(port),
      '--count',
      String(count),
      '--timeout',
      String(timeoutMs),
    ];
    const r = await this.exec(fromHost, process.execPath, args, { env: {}, timeoutMs: timeoutMs + 10_000 });
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      const parsed = JSON.parse(last) as { sent: number; received: number };
      return { sent: parsed.sent, received: parsed.received };
    } catch {
      throw new HelperFailedError(
        `udp burst to ${address}:${port}`,
        fromHost,
        `exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`,
      );
    }
  }

  /** A TCP listener in a host (accepts, logs the peer, closes); port 0 picks a free one. */
  async startTcpListener(hostId: string, address: string, port: number): Promise<TcpListener> {
    const child = this.spawn(hostId, process.execPath, ['--no-warnings', NETPROBE, 'tcp-listen', address, String(port)], {
      env: {},
    });
    return startNetprobeServer(TcpListener, hostId, address, child);
  }

  /** A UDP echo server in a host, for probeUdp. */
  async startUdpEcho(hostId: string, port: number, address = '0.0.0.0'): Promise<UdpEcho> {
    const child = this.spawn(hostId, process.execPath, ['--no-warnings', NETPROBE, 'udp-echo', address, String(port)], {
      env: {},
    });
    return startNetprobeServer(UdpEcho, hostId, address, child);
  }

  #site(siteId: string): Site {
    const site = this.topology.sites.find((s) => s.id === siteId);
    if (!site)
      throw new UnknownSiteError(
        siteId,
        this.topology.sites.map((s) => s.id),
      );
    return site;
  }

  #scope(target: FaultTarget): { namespace: string; scope: EdgeScope; label: string } {
    if ('site' in target) {
      const site = this.#site(target.site);
      return {
        namespace: this.namespaceOf(site.router),
        scope: { kind: 'site', wanInterface: routerInterfaces(this.topology, site).wan },
        label: `site ${site.id}`,
      };
    }
    return { namespace: this.namespaceOf(target.host), scope: { kind: 'host' }, label: `host ${target.host}` };
  }

  async #apply(kind: string, description: string, namespace: string, ruleset: (table: string) => string): Promise<NftTableFault> {
    this.#checkUp(description);
    const table = faultTable(kind, ++this.#seq);
    let fault: NftTableFault | undefined;
    fault = await NftTableFault.apply(description, namespace, table, ruleset(table), this.#logger, () => {
      if (fault) this.#faults.delete(fault);
    });
    this.#faults.add(fault);
    return fault;
  }

  /** Drops all UDP across a site's internet link, or in and out of one host. */
  async blockUdp(target: FaultTarget): Promise<NftTableFault> {
    const { namespace, scope, label } = this.#scope(target);
    return this.#apply('blockudp', `block UDP at ${label}`, namespace, (t) => edgeDropRuleset(t, scope, match.udp()));
  }

  /**
   * Drops UDP between a site (or host) and one peer address, other UDP still passes: a firewall
   * that makes a direct WebRTC path impossible while the TURN relay stays reachable.
   */
  async blockUdpWithPeer(target: FaultTarget, address: string): Promise<NftTableFault> {
    const { namespace, scope, label } = this.#scope(target);
    return this.#apply('blockudppeer', `block UDP between ${label} and ${address}`, namespace, (t) =>
      edgeDropRuleset(t, scope, match.udpWithPeer(address)),
    );
  }

  /** Drops packets to `port` in and out of a host (for a router: also everything it forwards). */
  async blockPort(hostId: string, port: number, proto: Proto = 'tcp'): Promise<NftTableFault> {
    const { namespace, scope } = this.#scope({ host: hostId });
    return this.#apply('blockport', `block ${proto} port ${port} at host ${hostId}`, namespace, (t) =>
      edgeDropRuleset(t, scope, match.port(proto, port)),
    );
  }

  /** Drops `percent` % of packets (each direction, chosen at random per packet). */
  async dropShare(target: FaultTarget, percent: number): Promise<NftTableFault> {
    const { namespace, scope, label } = this.#scope(target);
    const rule = match.share(percent);
    return this.#apply('dropshare', `drop ${percent}% of packets at ${label}`, namespace, (t) => edgeDropRuleset(t, scope, rule));
  }

  /** The site's router passes nothing to or from the internet; the LAN still works. */
  async cutSite(siteId: string): Promise<NftTableFault> {
    const { namespace, scope } = this.#scope({ site: siteId });
    return this.#apply('cutsite', `cut site ${siteId} off the internet`, namespace, (t) =>
      edgeDropRuleset(t, scope, match.all()),
    );
  }

  /** LAN hosts may reach only the router itself (its proxy) and the allowed destinations. */
  async proxyOnly(siteId: string, options: { allow?: AllowedDestination[] } = {}): Promise<NftTableFault> {
    const site = this.#site(siteId);
    const allow = options.allow ?? [];
    const { lan } = routerInterfaces(this.topology, site);
    const shown = allow.map((a) => `${a.address}:${a.port}`).join(', ') || 'nothing';
    return this.#apply(
      'proxyonly',
      `proxy-only egress at site ${siteId} (direct: ${shown})`,
      this.namespaceOf(site.router),
      (t) => proxyOnlyRuleset(t, lan, site.lanAddress, allow),
    );
  }

  /** Steers the site's TCP to toAddress:toPort into a local port on the router (toxiproxy, mitmproxy). */
  async redirectTcp(siteId: string, redirect: Redirect): Promise<NftTableFault> {
    const site = this.#site(siteId);
    const { lan } = routerInterfaces(this.topology, site);
    const description = `redirect site ${siteId} TCP ${redirect.toAddress}:${redirect.toPort} to router port ${redirect.localPort}`;
    return this.#apply('steer', description, this.namespaceOf(site.router), (t) => redirectRuleset(t, lan, redirect));
  }

  /** Faults and steering rules currently in force. */
  get activeFaults(): NftTableFault[] {
    return [...this.#faults];
  }

  /** tcpdump on one interface of a host, writing a pcap `file` (a path the harness can read). */
  async capture(hostId: string, iface: string, options: { filter?: string; file: string }): Promise<Capture> {
    requireTool('tcpdump');
    // -Z root: tcpdump would otherwise drop to its own user and could not write into the state folder;
    // --immediate-mode: without it packets still in the kernel ring when stop() comes are lost
    const args = [
      '-i',
      iface,
      '-n',
      '-U',
      '--immediate-mode',
      '-Z',
      'root',
      '-w',
      options.file,
      ...(options.filter ? [options.filter] : []),
    ];
    return TcpdumpCapture.start(hostId, iface, options.file, this.spawn(hostId, 'tcpdump', args, { env: {} }));
  }

  async down(): Promise<void> {
    await this.teardown();
  }

  async leftovers(): Promise<string[]> {
    const namespaces = (await labNamespaces(this.prefix)).map((n) => `namespace ${n}`);
    const etc = (await readdir(ETC_NETNS).catch(() => [] as string[]))
      .filter((n) => belongsToPrefix(this.prefix, n))
      .map((n) => `${ETC_NETNS}/${n}`);
    return [...namespaces, ...etc];
  }

  /** Removes the whole lab (by prefix, like `teardownByPrefix`) and says what it removed; idempotent. */
  teardown(): Promise<TeardownReport> {
    this.#down ??= teardownByPrefix(this.prefix, { stateDir: this.stateDir }).then((report) => {
      this.#faults.clear();
      this.#logger.info({ event: 'netns.down', prefix: this.prefix, message: report.message }, 'lab network down');
      return report;
    });
    return this.#down;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}

/** The netns driver as a factory (what startLab and the conformance suite take). */
export const netnsDriver: DriverFactory = (topology, options) =>
  NetnsDriver.up(topology, {
    prefix: options.prefix,
    stateDir: options.stateDir,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
