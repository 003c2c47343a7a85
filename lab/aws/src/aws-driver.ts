/**
 * The aws driver: the driver contract over instances that already run (a deployed staging
 * stack), reached only through an InstanceTransport — Systems Manager on AWS. Everything it does
 * inside an instance is one of the scripts in instance-commands.ts; firewall faults are the same
 * nft tables the other drivers load (HostDriver builds them), captures are tcpdump on the
 * instance, clocks are libfaketime's offset file there.
 *
 * What differs from a lab of this machine's: a site's router is a NAT gateway, not a machine, so
 * a site's faults are loaded on each of the site's hosts and act on their traffic with the world
 * beyond the site's network; the router's own services (proxies, redirects) do not exist.
 * Instances are not processes of this machine (pids() is empty), and down() detaches: it heals
 * what the lab did but never stops an instance (the stack is removed with `lab deploy --destroy`).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { INSTANCE_STATE_DIR, instanceClockEnv } from '@multiclaw-lab/deploy/instance-layout';
import { createLogger, type Logger } from '@multiclaw-lab/kit';
import {
  type AllowedDestination,
  type Capture,
  type DriverName,
  type EdgeScope,
  type ExecResult,
  HelperFailedError,
  HostDriver,
  hostById,
  type NftHost,
  type NftTableFault,
  type Redirect,
  type RunOptions,
  type Site,
  SYSTEM_PATH,
  type Topology,
} from '@multiclaw-lab/network';
import { DriverCannotError } from './driver-errors.ts';
import {
  captureStart,
  captureStop,
  clockSet,
  nftDelete,
  nftHas,
  nftLabTables,
  nftLoad,
  programPid,
  runProgram,
  signalProgram,
} from './instance-commands.ts';
import type { InstanceTransport } from './transport.ts';

export interface AwsDriverOptions {
  /** tells this attachment's pid and capture names apart from another's on the same instances */
  prefix: string;
  /** a folder of this machine for what comes back (captures) */
  stateDir: string;
  /**
   * Harness paths and where the same files are on the instances (the components bundle is
   * unpacked elsewhere than this checkout): a program or argument under `from` is run from `to`.
   */
  paths?: { from: string; to: string };
  logger?: Logger;
}

interface Started {
  hostId: string;
  pidName: string;
}

export class AwsDriver extends HostDriver {
  readonly name: DriverName = 'aws';
  readonly transport: InstanceTransport;
  readonly #paths: AwsDriverOptions['paths'];
  readonly #started = new WeakMap<ChildProcess, Started>();
  readonly #streams = new Set<ChildProcess>();
  readonly #endSession = new WeakMap<ChildProcess, ChildProcess['kill']>();
  readonly #captures = new Set<Capture>();
  /** hosts whose clock this attachment moved: put back on down() */
  readonly #clocked = new Set<string>();
  #seq = 0;
  #down = false;

  constructor(topology: Topology, transport: InstanceTransport, options: AwsDriverOptions) {
    super(topology, options.prefix, options.stateDir, options.logger ?? createLogger({ service: 'aws-driver' }));
    this.transport = transport;
    this.#paths = options.paths;
  }

  protected get isDown(): boolean {
    return this.#down;
  }

  /** a folder on the instance (there is no folder of this machine that the instance sees) */
  override hostDir(hostId: string): string {
    return `${INSTANCE_STATE_DIR}/hosts/${hostById(this.topology, hostId).id}`;
  }

  override hostEnv(hostId: string, env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
    return {
      PATH: SYSTEM_PATH,
      HOME: `${this.hostDir(hostId)}/home`,
      SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
      ...given,
    };
  }

  #onInstance(path: string): string {
    const p = this.#paths;
    return p && (path === p.from || path.startsWith(`${p.from}/`)) ? p.to + path.slice(p.from.length) : path;
  }

  #program(hostId: string, command: string, args: string[], options: RunOptions, pidName?: string) {
    const env = this.hostEnv(hostId, options.env) as Record<string, string>;
    return runProgram({
      command: this.#onInstance(command),
      args: args.map((a) => this.#onInstance(a)),
      env,
      ...(options.cwd ? { cwd: this.#onInstance(options.cwd) } : {}),
      ...(options.user ? { user: options.user } : {}),
      ...(pidName ? { pidName } : {}),
    });
  }

  /** a name unique to this attachment, for files it keeps on an instance */
  #name(hostId: string, what: string): string {
    return `${this.prefix}-${hostId}-${what}-${++this.#seq}-${randomBytes(3).toString('hex')}`;
  }

  // ---- programs ----

  spawn(hostId: string, command: string, args: string[], options: RunOptions = {}): ChildProcess {
    this.checkUp(`start ${command} in ${hostId}`);
    const pidName = this.#name(hostId, 'p');
    const child = this.transport.stream(hostId, this.#program(hostId, command, args, options, pidName));
    this.#started.set(child, { hostId, pidName });
    this.#streams.add(child);
    child.once('close', () => this.#streams.delete(child));
    // a signal meant for the program goes to it on the instance: ending the session (the local
    // child) need not end the program there
    const endSession = child.kill.bind(child);
    this.#endSession.set(child, endSession);
    child.kill = (sig?: NodeJS.Signals | number) => {
      const name = typeof sig === 'string' ? sig : 'SIGTERM';
      void this.signal(child, name).catch((err: unknown) =>
        this.logger.warn({ event: 'aws.signal_failed', host: hostId, command, signal: name, err }, 'signal not delivered'),
      );
      return true;
    };
    return child;
  }

  /** one command to completion (on AWS: one Run Command invocation, not a session) */
  override async exec(
    hostId: string,
    command: string,
    args: string[],
    options: RunOptions & { timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    this.checkUp(`run ${command} in ${hostId}`);
    const timeout = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
    return this.transport.run(hostId, this.#program(hostId, command, args, options), timeout);
  }

  #startedBy(child: ChildProcess): Started {
    const started = this.#started.get(child);
    if (!started) throw new TypeError('this program was not started by this driver’s spawn()');
    return started;
  }

  async #runOrThrow(hostId: string, command: { description: string; script: string }): Promise<ExecResult> {
    const r = await this.transport.run(hostId, command);
    if (r.code !== 0)
      throw new HelperFailedError(command.description, hostId, `exit ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r;
  }

  async signal(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    const { hostId, pidName } = this.#startedBy(child);
    await this.#runOrThrow(hostId, signalProgram(pidName, signal));
  }

  async pidInHost(child: ChildProcess): Promise<number> {
    const { hostId, pidName } = this.#startedBy(child);
    return Number((await this.#runOrThrow(hostId, programPid(pidName))).stdout.trim());
  }

  inHostArgv(): string[] | undefined {
    return undefined;
  }

  /** instances are not processes of this machine */
  async pids(): Promise<number[]> {
    return [];
  }

  // ---- firewall ----

  /** A site's edge on AWS: each of its hosts, for its traffic beyond the site's network. */
  protected override siteEdge(site: Site): { hostId: string; scope: EdgeScope } {
    const lan = this.topology.segments.find((s) => s.id === site.lan);
    if (!lan) throw new TypeError(`site ${site.id} has no segment ${site.lan}`);
    return { hostId: site.router, scope: { kind: 'beyond', cidr: lan.cidr } };
  }

  /** the hosts a table for `hostId` goes to: a site's router stands for the site's hosts */
  #tableHosts(hostId: string): string[] {
    const site = this.topology.sites.find((s) => s.router === hostId);
    return site ? [...site.desktops, site.neighbour] : [hostId];
  }

  protected nftHost(hostId: string): NftHost {
    const hosts = this.#tableHosts(hostId);
    return {
      where:
        hosts.length === 1
          ? `instance ${hosts[0]} (${this.transport.where})`
          : `instances ${hosts.join(', ')} (${this.transport.where})`,
      load: async (ruleset) => {
        await Promise.all(hosts.map((h) => this.#runOrThrow(h, nftLoad(ruleset))));
      },
      deleteTable: async (table) => {
        const results = await Promise.all(hosts.map((h) => this.transport.run(h, nftDelete(table))));
        const failed = results.find((r) => r.code !== 0);
        return failed ? { code: failed.code, stderr: failed.stderr } : { code: 0, stderr: '' };
      },
      hasTable: async (table) => {
        const results = await Promise.all(hosts.map((h) => this.transport.run(h, nftHas(table))));
        return results.some((r) => r.code === 0);
      },
    };
  }

  override proxyOnly(siteId: string, _options?: { allow?: AllowedDestination[] }): Promise<NftTableFault> {
    return Promise.reject(
      new DriverCannotError('aws', `make site ${siteId} proxy-only`, 'a site’s router is a NAT gateway, which runs no proxy'),
    );
  }

  override redirectTcp(siteId: string, _redirect: Redirect): Promise<NftTableFault> {
    return Promise.reject(
      new DriverCannotError(
        'aws',
        `steer site ${siteId}’s TCP`,
        'a site’s router is a NAT gateway, which cannot redirect to a local port',
      ),
    );
  }

  // ---- captures ----

  override async capture(hostId: string, iface: string, options: { filter?: string; file: string }): Promise<Capture> {
    this.checkUp(`capture on ${iface} in ${hostId}`);
    if (this.topology.sites.some((site) => site.router === hostId))
      throw new DriverCannotError(
        'aws',
        `capture on ${hostId}`,
        'a site’s router is a NAT gateway, which runs no tcpdump; the VPC flow logs are its record',
      );
    const name = this.#name(hostId, 'cap');
    await this.#runOrThrow(hostId, captureStart({ name, iface, ...(options.filter ? { filter: options.filter } : {}) }));
    let stopping: Promise<string> | undefined;
    const capture: Capture = {
      file: options.file,
      stop: () => {
        stopping ??= (async () => {
          const r = await this.#runOrThrow(hostId, captureStop(name));
          await writeFile(options.file, Buffer.from(r.stdout, 'base64'));
          this.#captures.delete(capture);
          return options.file;
        })();
        return stopping;
      },
    };
    this.#captures.add(capture);
    return capture;
  }

  // ---- clocks ----

  override clockEnv(_hostId: string): Record<string, string> {
    return instanceClockEnv();
  }

  override async setClock(hostId: string, seconds: number): Promise<void> {
    this.checkUp(`set the clock of ${hostId}`);
    await this.#runOrThrow(hostId, clockSet(seconds));
    if (seconds === 0) this.#clocked.delete(hostId);
    else this.#clocked.add(hostId);
  }

  // ---- the end ----

  /** Heals every fault, stops captures and streams, resets clocks: the stack is as it was deployed. */
  async down(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    const errors: unknown[] = [];
    const settle = async (work: Promise<unknown>) => work.catch((err: unknown) => errors.push(err));
    await Promise.all(this.activeFaults.map((f) => settle(f.heal())));
    await Promise.all([...this.#captures].map((c) => settle(c.stop())));
    await Promise.all([...this.#clocked].map((h) => settle(this.#runOrThrow(h, clockSet(0)))));
    this.#clocked.clear();
    // programs still running are ended on their instance, then their sessions here
    // (one that ended meanwhile has nothing left to signal: not a leftover)
    await Promise.all([...this.#streams].map((child) => this.signal(child, 'SIGTERM').catch(() => undefined)));
    for (const child of this.#streams) this.#endSession.get(child)?.('SIGTERM');
    this.forgetFaults();
    if (errors.length > 0) throw new AggregateError(errors, `detaching from ${this.transport.where} left something behind`);
  }

  /** the lab's fault tables still loaded on any instance, one line each */
  async leftovers(): Promise<string[]> {
    const hosts = this.topology.hosts.filter((h) => h.role !== 'router').map((h) => h.id);
    const found = await Promise.all(
      hosts.map(async (h) => {
        const r = await this.transport.run(h, nftLabTables());
        return r.stdout
          .split('\n')
          .filter(Boolean)
          .map((t) => `nft table ${t} on ${h}`);
      }),
    );
    return found.flat();
  }
}
