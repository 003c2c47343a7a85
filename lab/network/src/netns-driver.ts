import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { createLogger, type Logger } from '@multiclaw-lab/kit';
import type { DriverFactory, RunOptions } from './driver.ts';
import { LabAlreadyUpError } from './errors.ts';
import type { NftHost } from './faults.ts';
import { type FdLimitFacts, openFileLimit, readFdLimitFacts } from './fd-limit.ts';
import { HostDriver } from './host-driver.ts';
import { belongsToPrefix, checkPrefix, checkTopologyNames, DEFAULT_PREFIX, fabricNamespace, hostNamespace } from './names.ts';
import { type Progress, provision } from './provision.ts';
import { checkPrerequisites, nft, requireTool, runCommand } from './run.ts';
import { ETC_NETNS, labNamespaces, pidsIn, type TeardownReport, teardownByPrefix } from './teardown.ts';
import { hostById, type Topology } from './topology.ts';

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
export class NetnsDriver extends HostDriver {
  readonly name = 'netns' as const;
  #down: Promise<TeardownReport> | undefined;

  private constructor(topology: Topology, prefix: string, stateDir: string, logger: Logger) {
    super(topology, prefix, stateDir, logger);
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

  protected get isDown(): boolean {
    return this.#down !== undefined;
  }

  /** `ip netns exec` keeps every descriptor it is given and execs the command, so signals reach it. */
  inHostArgv(hostId: string): string[] {
    return [requireTool('ip'), 'netns', 'exec', this.namespaceOf(hostId)];
  }

  spawn(hostId: string, command: string, args: string[], options: RunOptions = {}): ChildProcess {
    this.checkUp(`start ${command} in ${hostId}`);
    // setpriv execs the command (runuser would fork and stay in between, swallowing signals
    // meant for the service); the environment is kept as given
    const asUser = options.user
      ? [requireTool('setpriv'), `--reuid=${options.user}`, `--regid=${primaryGroup(options.user)}`, '--init-groups', '--']
      : [];
    // prlimit sets the limit on itself and execs the rest, as root, before setpriv drops to the user
    const limit = options.openFiles ? this.#openFilesArgv(options.openFiles) : [];
    const argv = ['netns', 'exec', this.namespaceOf(hostId), ...limit, ...asUser, command, ...args];
    this.logger.debug({ event: 'netns.spawn', host: hostId, command, user: options.user }, 'spawn');
    return spawn(requireTool('ip'), argv, { env: this.hostEnv(hostId, options.env), cwd: options.cwd, stdio: 'pipe' });
  }

  #fdFacts: FdLimitFacts | undefined;
  #openFilesArgv(wanted: number): string[] {
    if (process.getuid?.() !== 0) return [];
    this.#fdFacts ??= readFdLimitFacts();
    const n = openFileLimit(wanted, this.#fdFacts);
    return [requireTool('prlimit'), `--nofile=${n}:${n}`, '--'];
  }

  /** `ip netns exec`, prlimit and setpriv exec the program: the child is the program itself. */
  async signal(child: ChildProcess, sig: NodeJS.Signals): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  }

  /** A namespace shares the machine's process ids. */
  async pidInHost(child: ChildProcess): Promise<number> {
    return child.pid!;
  }

  async pids(): Promise<number[]> {
    return pidsIn(this.namespaces);
  }

  protected nftHost(hostId: string): NftHost {
    const namespace = this.namespaceOf(hostId);
    const inNamespace = (args: string[]) => runCommand('ip', ['netns', 'exec', namespace, 'nft', ...args]);
    return {
      where: namespace,
      load: async (ruleset) => void (await nft(namespace, ruleset)),
      deleteTable: (table) => inNamespace(['delete', 'table', 'ip', table]),
      hasTable: async (table) => (await inNamespace(['list', 'table', 'ip', table])).code === 0,
    };
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
      this.forgetFaults();
      this.logger.info({ event: 'netns.down', prefix: this.prefix, message: report.message }, 'lab network down');
      return report;
    });
    return this.#down;
  }
}

/** The netns driver as a factory (what startLab and the conformance suite take). */
export const netnsDriver: DriverFactory = (topology, options) =>
  NetnsDriver.up(topology, {
    prefix: options.prefix,
    stateDir: options.stateDir,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
