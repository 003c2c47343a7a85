/**
 * The docker driver: every host a container from the lab's host image, every segment a Docker
 * network with the topology's subnet (inside 198.18.0.0/15, never the daemon's own pools), site
 * routers doing NAT and firewalling with nftables inside their containers. Containers and
 * networks are made with testcontainers and carry the lab's labels; teardown goes by label.
 * The harness's folders (the repository, read-only; the state folder; the temp folder) are
 * mounted at the same paths, so the components, the probes and every file the harness hands a
 * host are where they are for the netns driver. See README.md.
 */
import './testcontainers-env.ts';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger, type Logger } from '@multiclaw-lab/kit';
import {
  BadAddressError,
  checkPrefix,
  checkTopologyNames,
  DEFAULT_PREFIX,
  type DriverFactory,
  eachLimited,
  HelperFailedError,
  HostDriver,
  hostById,
  hostsFile,
  inLabSupernet,
  LabAlreadyUpError,
  type NftHost,
  type Progress,
  type RunOptions,
  resolvConf,
  type Topology,
} from '@multiclaw-lab/network';
import { getContainerRuntimeClient } from 'testcontainers';
import { NetworksInUseError } from './errors.ts';
import { docker, HOST_NODE, readPid, spawnInContainer } from './exec.ts';
import { HostContainer } from './host-container.ts';
import { hostSetupScript } from './host-setup.ts';
import { ensureLabImages } from './images/index.ts';
import { containerName, LABEL, networkName } from './labels.ts';
import { type DockerTeardownReport, labObjects, teardownDockerLab } from './teardown.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

export interface DockerUpOptions {
  prefix?: string;
  stateDir: string;
  onProgress?: Progress;
  logger?: Logger;
  /** the host image to use; default: the lab's, built when missing or stale */
  image?: string;
}

/**
 * Like eachLimited, but on a failure it starts nothing new and waits for the work under way,
 * then throws the first error: teardown must not race a container still being created.
 */
async function settleLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let failed: { err: unknown } | undefined;
  await eachLimited(items, limit, async (item) => {
    if (failed) return;
    await work(item).catch((err: unknown) => {
      failed ??= { err };
    });
  });
  if (failed) throw failed.err;
}

/** The gateway Docker insists every network has: an address of the subnet that no host uses (the bridge never gets it). */
function unusedGateway(topology: Topology, cidr: string): string {
  const base = cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
  const used = new Set(topology.hosts.flatMap((h) => h.interfaces.map((i) => i.address)));
  for (let last = 254; last > 1; last--) if (!used.has(`${base}.${last}`)) return `${base}.${last}`;
  throw new BadAddressError(cidr, 'a segment with no free address for Docker');
}

/**
 * Who runs a program in a host when the caller names no account. The netns driver runs it as the
 * harness's user, root; so does this driver when the harness is root. For a harness that is not
 * root (a docker-group user) it is that user's uid and gid: the files the lab's programs make in
 * the shared folders (a gateway's 0600 openclaw.json, say) belong to the person running the lab,
 * as they would on their own machine, and the harness can read them. What needs root asks for it
 * (`user: 'root'`: packet captures, nmap's raw sockets, preparing PostgreSQL's folder).
 */
const HARNESS_USER = (() => {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? undefined : `${uid}:${process.getgid?.() ?? uid}`;
})();

/** services (the cloud and coturn on 443) bind low ports also when they run as the harness's user */
const UNPRIVILEGED_PORTS = { 'net.ipv4.ip_unprivileged_port_start': '0' };

/**
 * A desktop host answers every closed port at once, so a sweep of all its ports from the
 * neighbour ends in seconds (S12). Hosts made by the netns driver lift the ICMP rate limits
 * when the sweep starts; a container's /proc/sys is read-only, so the docker driver lifts them
 * when it makes the host. Only ICMP errors are affected, nothing the product's sockets do.
 */
const SWEEPABLE = {
  ...UNPRIVILEGED_PORTS,
  'net.ipv4.icmp_ratelimit': '0',
  'net.ipv4.icmp_msgs_per_sec': '1000000',
  'net.ipv4.icmp_msgs_burst': '1000000',
};

/**
 * The harness's folders every host sees at the same path: the repository (read-only; the
 * components, the probes), the lab's cache in it (bundles' compile cache), the temp folder and
 * the lab's state folder.
 */
function sharedMounts(stateDir: string): { source: string; target: string; mode: 'ro' | 'rw' }[] {
  const cacheDir = join(REPO_ROOT, 'node_modules', '.cache');
  return [
    { source: REPO_ROOT, target: REPO_ROOT, mode: 'ro' },
    { source: cacheDir, target: cacheDir, mode: 'rw' },
    { source: tmpdir(), target: tmpdir(), mode: 'rw' },
    { source: stateDir, target: stateDir, mode: 'rw' },
  ];
}

function checkAddresses(topology: Topology): void {
  for (const segment of topology.segments)
    if (!inLabSupernet(segment.cidr.split('/')[0]!)) throw new BadAddressError(segment.cidr, `subnet of ${segment.id}`);
  for (const host of topology.hosts)
    for (const i of host.interfaces)
      if (!inLabSupernet(i.address)) throw new BadAddressError(i.address, `address of ${host.id}/${i.name}`);
}

export class DockerDriver extends HostDriver {
  readonly name = 'docker' as const;
  /** the host image the containers run */
  #image = '';
  #down: Promise<DockerTeardownReport> | undefined;
  #pidFiles = new WeakMap<ChildProcess, { file: string; container: string; what: string }>();
  #seq = 0;

  private constructor(topology: Topology, prefix: string, stateDir: string, logger: Logger) {
    super(topology, prefix, stateDir, logger);
  }

  static async up(topology: Topology, options: DockerUpOptions): Promise<DockerDriver> {
    const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
    checkTopologyNames(topology);
    checkAddresses(topology);
    const stateDir = resolve(options.stateDir);
    const logger = options.logger ?? createLogger({ service: 'lab-docker', level: 'silent' });
    const progress: Progress = (step) => {
      logger.info({ event: 'docker.progress', prefix, step }, step);
      options.onProgress?.(step);
    };
    // the images are checked (built when missing) while the networks and host files are made
    const image = options.image
      ? Promise.resolve(options.image)
      : ensureLabImages({ onProgress: progress }).then((i) => i.host.name);
    image.catch(() => undefined); // awaited in #provision; a refusal below must not leave it unhandled
    const existing = await labObjects(prefix);
    if (existing.containers.length + existing.networks.length > 0)
      throw new LabAlreadyUpError(
        prefix,
        [...existing.containers, ...existing.networks].map((o) => o.name),
      );
    const started = Date.now();
    const driver = new DockerDriver(topology, prefix, stateDir, logger);
    try {
      await driver.#provision(progress, image);
      // every host starts on real time; the offset files exist before any process reads them
      for (const host of topology.hosts) await driver.setClock(host.id, 0);
    } catch (err) {
      progress('failed; removing what was made');
      await teardownDockerLab(prefix, { stateDir }).catch((cleanupErr: unknown) =>
        logger.error({ event: 'docker.cleanup_failed', err: cleanupErr }, 'cleanup after a failed up failed too'),
      );
      throw err;
    }
    logger.info({ event: 'docker.up', prefix, hosts: topology.hosts.length, ms: Date.now() - started }, 'lab network up');
    return driver;
  }

  get #runDir(): string {
    return join(this.stateDir, 'run', 'docker');
  }

  /** the host image the containers run */
  get image(): string {
    return this.#image;
  }

  async #provision(progress: Progress, image: Promise<string>): Promise<void> {
    const { topology, prefix, stateDir } = this;
    const labels = { [LABEL.prefix]: prefix, [LABEL.stateDir]: stateDir };
    // programs run as other accounts (postgres, proxy) write their process ids here too
    await mkdir(join(this.#runDir, 'pids'), { recursive: true });
    await chmod(join(this.#runDir, 'pids'), 0o1777);
    await mkdir(join(this.#runDir, 'captures'), { recursive: true });

    progress(`creating ${topology.segments.length} networks`);
    const client = await getContainerRuntimeClient();
    await this.#checkSubnetsFree();
    await Promise.all(
      topology.segments.map((segment) =>
        client.network.create({
          Name: networkName(prefix, segment.id),
          Driver: 'bridge',
          // nothing leaves a segment except through a lab router
          Internal: true,
          CheckDuplicate: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: segment.cidr, Gateway: unusedGateway(topology, segment.cidr) }] },
          // the bridge on the machine gets no address: the harness is not on any lab segment
          Options: { 'com.docker.network.bridge.inhibit_ipv4': 'true' },
          Labels: { ...labels, [LABEL.segment]: segment.id },
        }),
      ),
    );

    progress('writing host files');
    await eachLimited(topology.hosts, 8, async (host) => {
      const dir = this.hostDir(host.id);
      for (const sub of ['home', 'trust', 'etc']) await mkdir(join(dir, sub), { recursive: true });
      // an empty trust store until the harness puts the lab CA in: nothing is trusted by accident
      await writeFile(join(dir, 'trust', 'ca-certificates.crt'), '', { flag: 'a' });
      await writeFile(join(dir, 'etc', 'hosts'), hostsFile(host));
      await writeFile(join(dir, 'etc', 'resolv.conf'), resolvConf());
      await writeFile(join(this.#runDir, `${host.id}-setup.sh`), hostSetupScript(topology, host));
    });

    this.#image = await image;
    progress(`starting ${topology.hosts.length} host containers`);
    const shared = sharedMounts(stateDir);
    for (const m of shared) await mkdir(m.source, { recursive: true });
    await settleLimited(topology.hosts, 12, async (host) => {
      const etc = join(this.hostDir(host.id), 'etc');
      await new HostContainer({
        image: this.image,
        name: containerName(prefix, host.id),
        labels: { ...labels, [LABEL.host]: host.id, [LABEL.role]: host.role },
        networks: host.interfaces.map((i) => ({ name: networkName(prefix, i.segment), address: i.address })),
        router: host.role === 'router',
        sysctls: host.role === 'desktop' ? SWEEPABLE : UNPRIVILEGED_PORTS,
        mounts: [
          ...shared,
          { source: join(etc, 'hosts'), target: '/etc/hosts', mode: 'ro' },
          { source: join(etc, 'resolv.conf'), target: '/etc/resolv.conf', mode: 'ro' },
        ],
        setupScript: join(this.#runDir, `${host.id}-setup.sh`),
      })
        .start()
        .catch(async (err: unknown) => {
          // what the host said before it stopped is what explains it
          const logs = await docker(['logs', '--tail', '20', containerName(prefix, host.id)]);
          throw new HelperFailedError('starting the container', host.id, `${String(err)}\n${logs.stdout}${logs.stderr}`.trim());
        });
      progress(`host ${host.id} up`);
    });
    await writeFile(
      join(stateDir, 'run', 'docker.json'),
      `${JSON.stringify({ driver: 'docker', prefix, image: this.image, createdAt: new Date().toISOString() }, null, 2)}\n`,
    );
  }

  /** Docker refuses a subnet another network has; name the lab that holds it rather than Docker's words. */
  async #checkSubnetsFree(): Promise<void> {
    const { dockerode } = (await getContainerRuntimeClient()).container;
    const mine = new Set(this.topology.segments.map((s) => s.cidr));
    const taken = (await dockerode.listNetworks({ filters: JSON.stringify({ label: [LABEL.prefix] }) })).flatMap((n) =>
      (n.IPAM?.Config ?? [])
        .filter((c) => c.Subnet && mine.has(c.Subnet))
        .map((c) => ({ prefix: n.Labels?.[LABEL.prefix] ?? '?', network: n.Name, subnet: c.Subnet! })),
    );
    if (taken.length > 0) throw new NetworksInUseError(this.prefix, taken);
  }

  containerOf(hostId: string): string {
    return containerName(this.prefix, hostById(this.topology, hostId).id);
  }

  protected get isDown(): boolean {
    return this.#down !== undefined;
  }

  /** docker exec does not hand its descriptors beyond stdio to the program */
  inHostArgv(): undefined {
    return undefined;
  }

  spawn(hostId: string, command: string, args: string[], options: RunOptions = {}): ChildProcess {
    this.checkUp(`start ${command} in ${hostId}`);
    const container = this.containerOf(hostId);
    const pidFile = join(this.#runDir, 'pids', `${hostId}-${++this.#seq}-${randomBytes(3).toString('hex')}`);
    this.logger.debug({ event: 'docker.spawn', host: hostId, command, user: options.user }, 'spawn');
    const child = spawnInContainer({
      container,
      command: this.#commandInHost(command),
      args,
      env: this.hostEnv(hostId, options.env),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.user ? { user: options.user } : HARNESS_USER ? { user: HARNESS_USER } : {}),
      pidFile,
    });
    this.#pidFiles.set(child, { file: pidFile, container, what: `${command} in ${hostId}` });
    // a suite starts thousands of probes: their files go with them
    child.once('exit', () => void rm(pidFile, { force: true }).catch(() => undefined));
    // a signal meant for the program goes to it inside the container, not to the docker client
    child.kill = (sig?: NodeJS.Signals | number) => {
      const name = typeof sig === 'string' ? sig : 'SIGTERM';
      void this.signal(child, name).catch((err: unknown) =>
        this.logger.warn({ event: 'docker.signal_failed', host: hostId, command, signal: name, err }, 'signal not delivered'),
      );
      return true;
    };
    return child;
  }

  /**
   * The harness's own Node is the image's Node (the same binary). Any other program named by an
   * absolute path that the host lacks (a tool the harness found in its own bin folder, say) is
   * looked up by name on the host's PATH by in-host.sh.
   */
  #commandInHost(command: string): string {
    return command === process.execPath ? HOST_NODE : command;
  }

  async pidInHost(child: ChildProcess): Promise<number> {
    const known = this.#pidFiles.get(child);
    if (!known) throw new TypeError('pidInHost: this child was not started by this driver');
    return readPid(known.file, child, known.what);
  }

  async signal(child: ChildProcess, sig: NodeJS.Signals): Promise<void> {
    const known = this.#pidFiles.get(child);
    if (!known) throw new TypeError('signal: this child was not started by this driver');
    if (child.exitCode !== null || child.signalCode !== null) return;
    const pid = await readPid(known.file, child, known.what);
    const r = await docker(['exec', known.container, 'kill', `-${sig.replace(/^SIG/, '')}`, String(pid)]);
    // "No such process": it ended meanwhile, which is what a kill wants anyway
    if (r.code !== 0 && !/No such process/i.test(r.stderr))
      this.logger.warn({ event: 'docker.signal_failed', container: known.container, pid, signal: sig, stderr: r.stderr.trim() });
  }

  /** Host PIDs of every process in the lab's containers, as the Docker daemon reports them. */
  async pids(): Promise<number[]> {
    const { dockerode } = (await getContainerRuntimeClient()).container;
    const objects = await labObjects(this.prefix);
    const all = new Set<number>();
    for (const c of objects.containers.filter((c) => c.running)) {
      const top = await dockerode
        .getContainer(c.id)
        .top({ ps_args: '-eo pid' })
        .catch(() => ({ Processes: [] as string[][] }));
      for (const row of top.Processes ?? []) if (/^\d+$/.test(row[0] ?? '')) all.add(Number(row[0]));
    }
    return [...all].sort((a, b) => a - b);
  }

  protected nftHost(hostId: string): NftHost {
    const container = this.containerOf(hostId);
    return {
      where: `container ${container}`,
      load: async (ruleset) => {
        const r = await docker(['exec', '-i', container, 'nft', '-f', '-'], ruleset);
        if (r.code !== 0) throw new Error(`nft -f - in container ${container} failed: ${r.stderr.trim()}`);
      },
      deleteTable: (table) => docker(['exec', container, 'nft', 'delete', 'table', 'ip', table]),
      hasTable: async (table) => (await docker(['exec', container, 'nft', 'list', 'table', 'ip', table])).code === 0,
    };
  }

  /**
   * tcpdump writes where the caller asked when every host sees that path (the state and temp
   * folders), so the pcap can be read while the capture runs; anywhere else it writes into the
   * state folder and stop() moves the pcap where the caller asked.
   */
  protected override captureFile(file: string): string {
    const writable = sharedMounts(this.stateDir).filter((m) => m.mode === 'rw');
    if (writable.some((m) => file.startsWith(`${m.target}/`))) return file;
    return join(this.#runDir, 'captures', `${randomBytes(6).toString('hex')}.pcap`);
  }

  async down(): Promise<void> {
    await this.teardown();
  }

  async leftovers(): Promise<string[]> {
    const objects = await labObjects(this.prefix);
    return [...objects.containers.map((c) => `container ${c.name}`), ...objects.networks.map((n) => `network ${n.name}`)];
  }

  teardown(): Promise<DockerTeardownReport> {
    this.#down ??= teardownDockerLab(this.prefix, { stateDir: this.stateDir }).then((report) => {
      this.forgetFaults();
      this.logger.info({ event: 'docker.down', prefix: this.prefix, message: report.message }, 'lab network down');
      return report;
    });
    return this.#down;
  }
}

/** The docker driver as a factory (what startLab and the conformance suite take). */
export const dockerDriver: DriverFactory = (topology, options) =>
  DockerDriver.up(topology, {
    prefix: options.prefix,
    stateDir: options.stateDir,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    // a host image of one's own (built from the lab's, say); default: the lab's, built when missing
    ...(process.env.LAB_DOCKER_IMAGE ? { image: process.env.LAB_DOCKER_IMAGE } : {}),
  });
