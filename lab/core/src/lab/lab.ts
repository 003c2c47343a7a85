/**
 * The lab: the reference MultiClaw on a small simulated internet, with the real third-party
 * pieces, as one started handle. startLab() (or LabBuilder) builds it whole — services running
 * and healthy, clients connected, the demo workspace provisioned — and hands it over; nothing in
 * it is filled in afterwards. down() takes it all away and answers with a StoppedLab (where the
 * logs are, every process it ran).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CdnAdminClient, LlmAdminClient } from '@multiclaw-lab/external';
import type { HostRunner } from '@multiclaw-lab/infra';
import { LabError, type LogLine } from '@multiclaw-lab/kit';
import { type ExecResult, type Fault, type Host, type LabDriver, type Topology, UnknownSiteError } from '@multiclaw-lab/network';
import type { LabCA } from '@multiclaw-lab/pki';
import type { MutantDefinition } from '@multiclaw-lab/protocol';
import type { CloudApi } from '../cloud-api.ts';
import type { DesktopDriver } from '../desktop-driver.ts';
import { untilInRotation } from './balancer-admin.ts';
import { CLOUD_BALANCER_ID, CLOUD_BALANCER_SOCKET, CLOUD_GROUP } from './cloud-balancer.ts';
import type { HostFiles } from './definitions.ts';
import { checkHealth } from './health.ts';
import { execIn, type HttpsProbeOptions, type HttpsProbeResult, hostFiles, hostNow, httpsProbe, runnerIn } from './hosts.ts';
import type { DemoWorkspace } from './provision.ts';
import type { ServiceRegistry } from './registry.ts';
import { answersTo, type RunningService, type RunOptions, type ServiceDef } from './service.ts';
import type { LinkFaultKind, LinkFaultOptions, SiteLink } from './site-link.ts';
import { removeLabState } from './teardown.ts';
import type { DemoAccount, LabStatus } from './types.ts';

/** The screen the cloud desktops stream: frame size and rate, and the canary marker in every frame. */
export interface ScreenSettings {
  frameBytes: number;
  framesPerSecond: number;
  /** inside every synthetic frame (a JPEG comment): captures at the relay must never show it */
  canary: string;
}

export function labScreen(): ScreenSettings {
  return { frameBytes: 16_000, framesPerSecond: 15, canary: `MCLAB-CANARY-${randomBytes(8).toString('hex')}` };
}

/**
 * What the canary needs of a lab whose hosts are not folders of this machine (a deployed stack):
 * their files and the cloud's database, fetched for the end-of-run scan.
 */
export interface RemoteEvidence {
  /** copies each client host's folder into this lab's state folder (hosts/<id>), where a lab of this machine keeps it */
  copyHostFolders(): Promise<void>;
  /** the cloud's database as text */
  dumpDatabase(): Promise<string>;
}

/** Everything a Lab is made of, all of it ready: what the start-up hands to the constructor. */
export interface LabParts {
  prefix: string;
  stateDir: string;
  logLevel: string;
  startedAt: string;
  topology: Topology;
  driver: LabDriver;
  ca: LabCA;
  registry: ServiceRegistry;
  links: ReadonlyMap<string, SiteLink>;
  api: CloudApi;
  llmAdmin: LlmAdminClient;
  /** absent where the update CDN is not the lab's (a deployed stack's S3 and CloudFront) */
  cdnAdmin?: CdnAdminClient;
  updatePublicKey: string;
  demo: DemoWorkspace;
  /** cloud desktop id per host (cd1 → ins_…) */
  instances: ReadonlyMap<string, string>;
  screen: ScreenSettings;
  /** what down() closes besides the services (the in-process bridges of an attached lab) */
  closers?: Array<() => Promise<void>>;
  remote?: RemoteEvidence;
}

/** What is left of a lab after down(): its logs (evidence) and the record of every process it ran. */
export interface StoppedLab {
  prefix: string;
  stateDir: string;
  logsDir: string;
  history: readonly RunningService[];
}

export class Lab implements AsyncDisposable {
  readonly prefix: string;
  readonly stateDir: string;
  readonly logLevel: string;
  readonly startedAt: string;
  readonly topology: Topology;
  readonly driver: LabDriver;
  readonly ca: LabCA;
  readonly links: ReadonlyMap<string, SiteLink>;
  readonly api: CloudApi;
  readonly llmAdmin: LlmAdminClient;
  readonly #cdnAdmin: CdnAdminClient | undefined;
  /** the key the CDN signs updates with, built into the desktop apps */
  readonly updatePublicKey: string;
  readonly accounts: readonly DemoAccount[];
  readonly workspaceId: string;
  readonly agentId: string;
  readonly instances: ReadonlyMap<string, string>;
  readonly screen: { frameBytes: number; framesPerSecond: number };
  /** the marker inside every synthetic screen frame: the WebRTC scenarios look for it at the relay */
  readonly screenCanary: string;
  /** set when the hosts' files and the database are elsewhere (an attached stack): how to fetch them */
  readonly remote: RemoteEvidence | undefined;
  readonly #registry: ServiceRegistry;
  readonly #closers: Array<() => Promise<void>>;
  #stopped: Promise<StoppedLab> | undefined;

  constructor(parts: LabParts) {
    this.prefix = parts.prefix;
    this.stateDir = parts.stateDir;
    this.logLevel = parts.logLevel;
    this.startedAt = parts.startedAt;
    this.topology = parts.topology;
    this.driver = parts.driver;
    this.ca = parts.ca;
    this.#registry = parts.registry;
    this.links = parts.links;
    this.api = parts.api;
    this.llmAdmin = parts.llmAdmin;
    this.#cdnAdmin = parts.cdnAdmin;
    this.#closers = parts.closers ?? [];
    this.remote = parts.remote;
    this.updatePublicKey = parts.updatePublicKey;
    this.accounts = parts.demo.accounts;
    this.workspaceId = parts.demo.workspaceId;
    this.agentId = parts.demo.agentId;
    this.instances = parts.instances;
    this.screen = { frameBytes: parts.screen.frameBytes, framesPerSecond: parts.screen.framesPerSecond };
    this.screenCanary = parts.screen.canary;
  }

  /** the update CDN's admin API (publishing signed updates) */
  get cdnAdmin(): CdnAdminClient {
    if (!this.#cdnAdmin)
      throw new LabError('LAB_UNSUPPORTED', `the ${this.driver.name} lab has no update CDN of its own to publish to`, {
        hint: 'a scenario that publishes updates declares update-cdn and is skipped on this driver',
      });
    return this.#cdnAdmin;
  }

  get logsDir(): string {
    return join(this.stateDir, 'logs');
  }

  get runDir(): string {
    return join(this.stateDir, 'run');
  }

  // --- hosts -----------------------------------------------------------------------------

  hostFiles(hostId: string): HostFiles {
    return hostFiles(this.driver, hostId);
  }

  hostsByRole(role: Host['role']): Host[] {
    return this.topology.hosts.filter((h) => h.role === role);
  }

  /** Runs third-party programs (lab/infra) inside a host. */
  runner(hostId: string): HostRunner {
    return runnerIn(this.driver, hostId);
  }

  exec(hostId: string, argv: string[]): Promise<ExecResult> {
    return execIn(this.driver, hostId, argv);
  }

  /** An HTTPS request from inside a host, trusting its trust store: how a fault is shown on and healed. */
  httpsProbe(hostId: string, url: string, options: HttpsProbeOptions = {}): Promise<HttpsProbeResult> {
    return httpsProbe(this.driver, hostId, url, options);
  }

  /** The wall clock (ms) that processes on `hostId` see. */
  hostNow(hostId: string): Promise<number> {
    return hostNow(this.driver, hostId);
  }

  /** Moves the wall clock of one host (or every host) by `seconds` from real time. */
  async setClock(hostId: string | 'all', seconds: number): Promise<void> {
    const hosts = hostId === 'all' ? this.topology.hosts.map((h) => h.id) : [hostId];
    for (const h of hosts) await this.driver.setClock(h, seconds);
  }

  // --- site links ------------------------------------------------------------------------

  link(siteId: string): SiteLink {
    const link = this.links.get(siteId);
    if (!link) throw new UnknownSiteError(siteId, [...this.links.keys()]);
    return link;
  }

  /** A TCP fault on a site's internet link (toxiproxy): reset, blackhole, latency, bandwidth, slow close, byte limit, down. */
  linkFault(siteId: string, kind: LinkFaultKind, options: LinkFaultOptions = {}): Promise<Fault> {
    return this.link(siteId).fault(kind, options);
  }

  // --- services --------------------------------------------------------------------------

  /** the running services by id */
  get services(): ReadonlyMap<string, RunningService> {
    return this.#registry.services;
  }

  /** every service process this lab ran, including those since restarted (for timelines) */
  get history(): readonly RunningService[] {
    return this.#registry.history;
  }

  get desktops(): ReadonlyMap<string, DesktopDriver> {
    return this.#registry.desktops;
  }

  start(def: ServiceDef, options: RunOptions = {}): Promise<RunningService> {
    return this.#registry.start(def, options);
  }

  /** Registers a service started elsewhere (e.g. a DPI box a control turned on). */
  adopt(running: RunningService): void {
    this.#registry.adopt(running);
  }

  /** Forgets a service stopped for good (a DPI box or proxy whose fault was healed). */
  retire(id: string): void {
    this.#registry.retire(id);
  }

  service(id: string): RunningService {
    return this.#registry.service(id);
  }

  /**
   * The running services that answer to `name`: a group's instances (`cloud`: cloud, cloud-2, …
   * with `--cloud-instances`), else the one service of that id.
   */
  serviceGroup(name: string): RunningService[] {
    return this.#registry.group(name);
  }

  /** The first line (seen or future) of any current process answering to `name` (a group: any instance) that matches. */
  waitForLine(name: string, match: (line: LogLine) => boolean, timeoutMs?: number, waitingFor?: string): Promise<LogLine> {
    return this.#registry.waitForLine(name, match, timeoutMs, waitingFor);
  }

  desktop(hostId: string): DesktopDriver {
    return this.#registry.desktop(hostId);
  }

  serviceIds(): string[] {
    return this.#registry.ids();
  }

  logFile(serviceId: string): string {
    return this.service(serviceId).logFile;
  }

  /** Stops a service cleanly (its own stop signal) and leaves it stopped; `restart(id)` starts it again. */
  stop(id: string): Promise<void> {
    return this.#registry.stop(id);
  }

  /** Kills a service with SIGKILL and leaves it stopped; `restart(id)` starts it again. */
  kill(id: string): Promise<void> {
    return this.#registry.kill(id);
  }

  /** Stops a service (SIGKILL when `crash`) and starts it again from the same definition. */
  async restart(id: string, options: { crash?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunningService> {
    const restarted = await this.#registry.restart(id, options);
    // behind the load balancer an instance is back once HAProxy sends clients to it again
    if (answersTo(restarted.def, CLOUD_GROUP) && this.#registry.ids().includes(CLOUD_BALANCER_ID)) {
      await untilInRotation(join(this.runDir, CLOUD_BALANCER_SOCKET), CLOUD_GROUP, id);
    }
    return restarted;
  }

  /** Stops a service with SIGSTOP until the fault is healed (SIGCONT); resolves once it is stopped. */
  pause(id: string): Promise<Fault> {
    return this.#registry.pause(id);
  }

  /**
   * Restarts the apps of a site (each desktop host's gateway and desktop simulator), e.g. after
   * its trust store or proxy settings changed; `env` is merged into theirs (undefined removes a
   * variable). Desktops that were signed in connect again with their stored bearer: the app does
   * that by itself when it starts (serve mode), so this returns once the processes are ready and
   * callers wait for the connection they need; a network that cannot connect does not hold it up.
   */
  async restartSiteApps(siteId: string, env?: NodeJS.ProcessEnv): Promise<void> {
    const site = this.topology.sites.find((s) => s.id === siteId);
    if (!site)
      throw new UnknownSiteError(
        siteId,
        this.topology.sites.map((s) => s.id),
      );
    // hosts are independent; on each, the gateway first, so the app finds its new local API
    await Promise.all(
      site.desktops.map(async (hostId) => {
        await this.restart(`${hostId}-gateway`, env ? { env } : {});
        await this.restart(`${hostId}-desktop`, env ? { env } : {});
      }),
    );
  }

  // --- status and teardown ---------------------------------------------------------------

  /** Every host and service, each service with what its own health check saw. */
  /** the catalogued defect this lab's services run with, if any (`pnpm lab mutate`) */
  get mutant(): MutantDefinition | undefined {
    return this.#registry.mutant;
  }

  async status(): Promise<LabStatus> {
    const services: LabStatus['services'] = await Promise.all(
      [...this.services].map(async ([id, s]) => {
        const { healthy, detail } = await checkHealth(this, s);
        return {
          id,
          host: s.def.host,
          kind: s.def.kind,
          pid: s.handle.running ? s.handle.pid : null,
          healthy,
          detail,
          log: s.logFile,
          startMs: s.startMs,
        };
      }),
    );
    return {
      prefix: this.prefix,
      driver: this.driver.name,
      startedAt: this.startedAt,
      stateDir: this.stateDir,
      ...(this.mutant ? { mutant: this.mutant.id } : {}),
      hosts: this.topology.hosts.map((h) => ({
        id: h.id,
        role: h.role,
        ...(h.site ? { site: h.site } : {}),
        namespace: `${this.prefix}-${h.id}`,
        addresses: h.interfaces.map((i) => `${i.address}/${i.prefixLength}`),
      })),
      services,
    };
  }

  /**
   * Stops every service, removes the hosts and the state that held secrets; keeps the logs.
   * Idempotent once it succeeded; after a failure, calling it again tries again.
   */
  down(): Promise<StoppedLab> {
    this.#stopped ??= (async () => {
      try {
        await this.#registry.stopAll();
        await this.api.close().catch(() => undefined);
        for (const close of this.#closers) await close().catch(() => undefined);
        await this.driver.down();
      } finally {
        // the secrets and keys go even when the hosts could not be removed
        await removeLabState(this.stateDir);
      }
      return { prefix: this.prefix, stateDir: this.stateDir, logsDir: this.logsDir, history: this.history };
    })();
    this.#stopped.catch(() => {
      this.#stopped = undefined;
    });
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}
