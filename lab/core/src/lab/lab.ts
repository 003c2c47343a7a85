import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CdnAdminClient, LlmAdminClient } from '@multiclaw-lab/external';
import { type HostRunner, startCoturn } from '@multiclaw-lab/infra';
import { faketimeEnv, LabError, writeClockOffset } from '@multiclaw-lab/kit';
import {
  addressOf,
  buildTopology,
  type Fault,
  type Host,
  NetnsDriver,
  PUBLIC_NAMES,
  type Topology,
  teardownByPrefix,
} from '@multiclaw-lab/network';
import { createLabCA, type LabCA, writeServerCertificate, writeTrustStore } from '@multiclaw-lab/pki';
import { CloudApi } from '../cloud-api.ts';
import { DesktopDriver } from '../desktop-driver.ts';
import { bridgeDef, cdnDef, cloudDef, desktopDef, gatewayDef, type HostFiles, llmDef } from './definitions.ts';
import { checkHealth, within } from './health.ts';
import { preparePostgres } from './postgres.ts';
import { type RunningService, runService, type ServiceDef } from './service.ts';
import { type LinkFaultKind, type LinkFaultOptions, type SiteLink, siteLinkDef } from './site-link.ts';

/**
 * The lab: the reference MultiClaw on a small simulated internet (one network namespace per
 * host), with the real third-party pieces. startLab() brings it all up and healthy; the Lab
 * answers status, runs commands in hosts, and takes everything down again.
 */
export interface StartLabOptions {
  sites?: number;
  desktops?: number;
  cloudDesktops?: number;
  prefix?: string;
  stateDir: string;
  logLevel?: string;
  onProgress?: (step: { phase: string; detail: string; done?: boolean }) => void;
}

export interface LabStatus {
  prefix: string;
  driver: 'netns';
  startedAt: string;
  stateDir: string;
  hosts: Array<{ id: string; role: string; site?: string; namespace: string; addresses: string[] }>;
  services: Array<{
    id: string;
    host: string;
    kind: string;
    pid: number | null;
    healthy: boolean;
    /** what the health check saw */
    detail: string;
    log: string;
    /** spawn to ready, ms */
    startMs: number;
  }>;
}

export interface DemoAccount {
  email: string;
  password: string;
  bearer: string;
  userId: string;
  host: string;
}

export class LabStartError extends LabError {
  constructor(phase: string, cause: unknown) {
    super('LAB_START_FAILED', `lab up failed while ${phase}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'everything made so far was taken down; see the logs in the state folder',
      cause,
    });
  }
}

export class Lab implements AsyncDisposable {
  readonly prefix: string;
  readonly stateDir: string;
  readonly topology: Topology;
  readonly driver: NetnsDriver;
  readonly ca: LabCA;
  readonly services = new Map<string, RunningService>();
  /** every service process this lab ran, including those since restarted (for timelines) */
  readonly history: RunningService[] = [];
  readonly desktops = new Map<string, DesktopDriver>();
  readonly startedAt = new Date().toISOString();
  api!: CloudApi;
  llmAdmin!: LlmAdminClient;
  cdnAdmin!: CdnAdminClient;
  updatePublicKey = '';
  workspaceId = '';
  agentId = '';
  /** cloud desktop id per host (cd1 → ins_…), once provisioned */
  readonly instances = new Map<string, string>();
  /**
   * The marker inside every synthetic screen frame of the cloud desktops (a JPEG comment): the
   * WebRTC scenarios look for it in captures at the relay, where it must never appear.
   */
  readonly screenCanary = `MCLAB-CANARY-${randomBytes(8).toString('hex')}`;
  /** about the size of one screen frame (JPEG) the cloud desktops send, and their frame rate */
  readonly screen = { frameBytes: 16_000, framesPerSecond: 15 };
  readonly accounts: DemoAccount[] = [];
  readonly links = new Map<string, SiteLink>();
  readonly logLevel: string;
  #down = false;

  constructor(init: { prefix: string; stateDir: string; topology: Topology; driver: NetnsDriver; ca: LabCA; logLevel: string }) {
    this.prefix = init.prefix;
    this.stateDir = init.stateDir;
    this.topology = init.topology;
    this.driver = init.driver;
    this.ca = init.ca;
    this.logLevel = init.logLevel;
  }

  get logsDir(): string {
    return join(this.stateDir, 'logs');
  }

  get runDir(): string {
    return join(this.stateDir, 'run');
  }

  /** Runs third-party programs (lab/infra) inside a host. */
  runner(hostId: string): HostRunner {
    return { spawn: (command, args, options) => this.driver.spawn(hostId, command, args, options) };
  }

  link(siteId: string): SiteLink {
    const link = this.links.get(siteId);
    if (!link)
      throw new LabError('LAB_NO_SITE', `no site ${JSON.stringify(siteId)}; sites: ${[...this.links.keys()].join(', ')}`);
    return link;
  }

  /** A TCP fault on a site's internet link (toxiproxy): reset, blackhole, latency, bandwidth, slow close, byte limit, down. */
  linkFault(siteId: string, kind: LinkFaultKind, options: LinkFaultOptions = {}): Promise<Fault> {
    return this.link(siteId).fault(kind, options);
  }

  /**
   * An HTTPS request from inside a host with curl, trusting that host's trust store: the probe
   * a fault is checked with (it fails while the fault is on and passes after heal).
   */
  async httpsProbe(
    hostId: string,
    url: string,
    options: { timeoutMs?: number; proxy?: string; untilClose?: boolean } = {},
  ): Promise<{ ok: boolean; status: number; timeMs: number; bytes: number; error?: string }> {
    const files = this.hostFiles(hostId);
    const seconds = String((options.timeoutMs ?? 3_000) / 1000);
    const args = [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{time_total} %{size_download}',
      '--max-time',
      seconds,
      '--cacert',
      files.trustBundle,
    ];
    if (options.proxy) args.push('--proxy', options.proxy);
    // read until the server closes the connection, not just to the end of the body
    if (options.untilClose) args.push('--http1.1', '-H', 'Connection: close', '--ignore-content-length');
    args.push(url);
    const result = await this.driver.exec(hostId, 'curl', args, {
      env: { PATH: process.env.PATH, HOME: files.home },
      timeoutMs: (options.timeoutMs ?? 3_000) + 5_000,
    });
    const [code, time, size] = result.stdout.trim().split(' ');
    const status = Number(code) || 0;
    const timeMs = Math.round(Number(time) * 1000) || 0;
    const bytes = Number(size) || 0;
    return result.code === 0 && status > 0 && status < 500
      ? { ok: true, status, timeMs, bytes }
      : { ok: false, status, timeMs, bytes, error: result.stderr.trim() || `exit ${result.code}` };
  }

  hostFiles(hostId: string): HostFiles {
    const dir = this.driver.hostDir(hostId);
    return {
      home: join(dir, 'home'),
      trustDir: join(dir, 'trust'),
      trustBundle: join(dir, 'trust', 'ca-certificates.crt'),
      clockFile: join(this.stateDir, 'clock', `${hostId}.offset`),
    };
  }

  hostsByRole(role: Host['role']): Host[] {
    return this.topology.hosts.filter((h) => h.role === role);
  }

  async start(def: ServiceDef): Promise<RunningService> {
    const running = await runService(this.driver, def, this.logsDir);
    this.services.set(def.id, running);
    this.history.push(running);
    return running;
  }

  /** Registers a service started elsewhere (e.g. a DPI box a control turned on). */
  adopt(running: RunningService): void {
    this.services.set(running.def.id, running);
    this.history.push(running);
  }

  service(id: string): RunningService {
    const s = this.services.get(id);
    if (!s)
      throw new LabError('LAB_NO_SERVICE', `no service ${JSON.stringify(id)}; services: ${[...this.services.keys()].join(', ')}`);
    return s;
  }

  /** Stops a service cleanly (its own stop signal) and leaves it stopped; `restart(id)` starts it again. */
  async stop(id: string): Promise<void> {
    const s = this.service(id);
    await s.handle.stop(10_000, s.def.stopSignal);
  }

  /** Stops a service (SIGKILL when `crash`) and starts it again from the same definition. */
  async restart(id: string, options: { crash?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunningService> {
    const old = this.service(id);
    if (options.crash) {
      old.handle.signal('SIGKILL');
      await old.handle.waitForExit();
    } else {
      await old.handle.stop(5_000, old.def.stopSignal);
    }
    let def = old.def;
    if (options.env) {
      // a variable given as undefined is removed
      const env = { ...old.def.env, ...options.env };
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
      def = { ...old.def, env };
    }
    const next = await this.start(def);
    if (def.kind === 'desktop-sim') this.desktops.set(def.host, new DesktopDriver(next.handle));
    return next;
  }

  /**
   * Restarts the apps of a site (each desktop host's gateway and desktop simulator), e.g. after
   * its trust store or proxy settings changed; `env` is merged into theirs (undefined removes a
   * variable). Desktops that were signed in connect again with their stored bearer.
   */
  async restartSiteApps(siteId: string, env?: NodeJS.ProcessEnv): Promise<void> {
    const site = this.topology.sites.find((s) => s.id === siteId);
    if (!site) throw new LabError('LAB_NO_SITE', `no site ${JSON.stringify(siteId)}`);
    for (const hostId of site.desktops) {
      await this.restart(`${hostId}-gateway`, env ? { env } : {});
      await this.restart(`${hostId}-desktop`, env ? { env } : {});
      const status = await this.desktop(hostId).call<{ signedIn: boolean }>('status');
      if (status.signedIn)
        await this.desktop(hostId)
          .call('connect')
          .catch(() => undefined);
    }
  }

  desktop(hostId: string): DesktopDriver {
    const d = this.desktops.get(hostId);
    if (!d) throw new LabError('LAB_NO_DESKTOP', `no desktop simulator on host ${JSON.stringify(hostId)}`);
    return d;
  }

  serviceIds(): string[] {
    return [...this.services.keys()];
  }

  logFile(serviceId: string): string {
    return this.service(serviceId).logFile;
  }

  exec(hostId: string, argv: string[]) {
    const [command, ...args] = argv;
    if (!command) throw new LabError('LAB_BAD_EXEC', 'exec needs a command');
    return this.driver.exec(hostId, command, args, {
      env: { PATH: process.env.PATH, HOME: this.hostFiles(hostId).home },
      timeoutMs: 60_000,
    });
  }

  /** Stops a service with SIGSTOP until the fault is healed (SIGCONT). */
  pause(id: string): Fault {
    const { handle } = this.service(id);
    handle.signal('SIGSTOP');
    let healed = false;
    return {
      description: `pause ${id} (pid ${handle.pid})`,
      async heal() {
        if (healed) return;
        healed = true;
        handle.signal('SIGCONT');
      },
    };
  }

  /** The wall clock (ms) that processes on `hostId` see, read through that host's libfaketime. */
  async hostNow(hostId: string): Promise<number> {
    const env = { PATH: process.env.PATH, ...faketimeEnv(this.hostFiles(hostId).clockFile) };
    const result = await this.driver.exec(hostId, 'date', ['+%s%3N'], { env, timeoutMs: 10_000 });
    return Number(result.stdout.trim());
  }

  /** Moves the wall clock of one host (or every host) by `seconds` from real time. */
  async setClock(hostId: string | 'all', seconds: number): Promise<void> {
    const hosts = hostId === 'all' ? this.topology.hosts.map((h) => h.id) : [hostId];
    for (const h of hosts) await writeClockOffset(this.hostFiles(h).clockFile, seconds);
  }

  /** One service's health: its own check (see health.ts), and for apps, signed in and connected. */
  async #health(s: RunningService): Promise<{ healthy: boolean; detail: string }> {
    const checked = await checkHealth(this, s);
    if (checked) return checked;
    if (s.def.kind === 'desktop-sim') {
      const st = await this.desktop(s.def.host)
        .call<{ state: string; signedIn: boolean }>('status', {}, 5_000)
        .catch((err: Error) => ({ state: `unanswered: ${err.message}`, signedIn: false }));
      if (st.state !== 'connected') return { healthy: false, detail: `app ${st.state}` };
      const gw = await this.desktop(s.def.host)
        .call<{ workspace: { connected: boolean } }>('gatewayStatus', {}, 5_000)
        .catch(() => ({ workspace: { connected: false } }));
      const connected = gw.workspace.connected;
      return {
        healthy: connected,
        detail: `app ${st.state}; local gateway ${connected ? 'connected' : 'not connected'} to the cloud`,
      };
    }
    // a daemon gateway: the cloud lists its instance as connected
    const owner = this.accounts[0];
    if (!owner || !this.workspaceId) return { healthy: false, detail: 'no workspace to ask the cloud about' };
    const list = await within(
      this.api
        .call<{ instances: Array<{ name: string; connected: boolean }> }>('GET', `/v1/workspaces/${this.workspaceId}/instances`, {
          credential: owner.bearer,
        })
        .catch(() => ({ instances: [] })),
    );
    if (list === 'timeout') return { healthy: false, detail: 'the cloud did not answer whether it is connected' };
    const connected = list.instances.find((i) => i.name === s.def.host)?.connected === true;
    return { healthy: connected, detail: connected ? 'connected to the cloud' : 'not connected to the cloud' };
  }

  async status(): Promise<LabStatus> {
    const services: LabStatus['services'] = await Promise.all(
      [...this.services].map(async ([id, s]) => {
        const { healthy, detail } = await this.#health(s);
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
      driver: 'netns',
      startedAt: this.startedAt,
      stateDir: this.stateDir,
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

  async down(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    for (const d of this.desktops.values()) d.process.child.stdin?.end();
    await Promise.allSettled([...this.services.values()].map((s) => s.handle.stop(3_000, s.def.stopSignal)));
    await this.api?.close().catch(() => undefined);
    await this.driver.down();
    // Keep the logs (evidence); remove what held secrets or state.
    for (const sub of ['run', 'secrets', 'pg', 'pki', 'clock'])
      await rm(join(this.stateDir, sub), { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }
}

async function secretFile(dir: string, name: string, bytes: number): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, randomBytes(bytes).toString('hex'), { mode: 0o600 });
  return file;
}

export async function startLab(options: StartLabOptions): Promise<Lab> {
  const progress = (phase: string, detail: string, done = false) => options.onProgress?.({ phase, detail, done });
  const prefix = options.prefix ?? 'mcl';
  const stateDir = options.stateDir;
  const logLevel = options.logLevel ?? 'info';
  const topology = buildTopology({ sites: options.sites, desktops: options.desktops, cloudDesktops: options.cloudDesktops });
  for (const sub of ['logs', 'run', 'clock', 'pki', 'secrets']) await mkdir(join(stateDir, sub), { recursive: true });
  await chmod(join(stateDir, 'secrets'), 0o700);

  progress('network', `creating ${topology.hosts.length} hosts in network namespaces (${prefix}-*)`);
  const driver = await NetnsDriver.up(topology, {
    prefix,
    stateDir,
    onProgress: (detail: string) => progress('network', detail),
  });
  const ca = await createLabCA({ name: `MultiClaw Lab CA (${prefix})` });
  const lab = new Lab({ prefix, stateDir, topology, driver, ca, logLevel });
  let phase = 'preparing hosts';
  try {
    for (const host of topology.hosts) {
      const files = lab.hostFiles(host.id);
      await mkdir(files.home, { recursive: true, mode: 0o700 });
      await writeTrustStore(files.trustDir, [ca]);
      await writeClockOffset(files.clockFile, 0);
    }
    const pki = join(stateDir, 'pki');
    const leaf = async (name: string) => writeServerCertificate(pki, name, await ca.issue([name]));
    const tls = {
      api: await leaf(PUBLIC_NAMES.api),
      cdn: await leaf(PUBLIC_NAMES.cdn),
      llm: await leaf(PUBLIC_NAMES.llm),
      turn: await leaf(PUBLIC_NAMES.turn),
    };
    const secretsDir = join(stateDir, 'secrets');
    const secrets = {
      tokenSecret: await secretFile(secretsDir, 'token-secret', 32),
      masterKey: await secretFile(secretsDir, 'master-key', 32),
      turnSecret: await secretFile(secretsDir, 'turn-secret', 24),
    };

    phase = 'starting PostgreSQL';
    progress('services', 'PostgreSQL on db');
    const pgDir = join(stateDir, 'pg');
    await mkdir(pgDir, { recursive: true });
    const pg = await preparePostgres(driver, { dir: pgDir, listen: addressOf(topology, 'db'), allow: '198.18.1.10' });
    await lab.start({ id: 'postgres', host: 'db', ...pg.def });

    phase = 'starting the cloud';
    progress('services', 'MultiClaw Cloud on cloud');
    await lab.start(
      cloudDef({
        host: 'cloud',
        address: addressOf(topology, 'cloud'),
        files: lab.hostFiles('cloud'),
        tls: tls.api,
        databaseUrl: pg.databaseUrl('postgres'),
        secrets,
        logLevel,
      }),
    );
    const apiSocket = join(lab.runDir, 'cloud-api.sock');
    await lab.start(
      bridgeDef({ id: 'cloud-bridge', host: 'cloud', socketPath: apiSocket, target: addressOf(topology, 'cloud'), port: 443 }),
    );
    lab.api = new CloudApi(`https://${PUBLIC_NAMES.api}`, ca.certPem, { socketPath: apiSocket });

    phase = 'starting the LLM provider and the CDN';
    progress('services', 'LLM provider on llm, update CDN on cdn');
    const llmSocket = join(lab.runDir, 'llm-admin.sock');
    const cdnSocket = join(lab.runDir, 'cdn-admin.sock');
    await Promise.all([
      lab.start(
        llmDef({
          host: 'llm',
          address: addressOf(topology, 'llm'),
          files: lab.hostFiles('llm'),
          tls: tls.llm,
          adminSocket: llmSocket,
          logLevel,
        }),
      ),
      lab.start(
        cdnDef({
          host: 'cdn',
          address: addressOf(topology, 'cdn'),
          files: lab.hostFiles('cdn'),
          tls: tls.cdn,
          adminSocket: cdnSocket,
          logLevel,
        }),
      ),
    ]);
    lab.llmAdmin = new LlmAdminClient(llmSocket);
    lab.cdnAdmin = new CdnAdminClient(cdnSocket);
    lab.updatePublicKey = await lab.cdnAdmin.publicKey();

    phase = 'starting the TURN relay';
    progress('services', 'coturn on relay');
    const turnSecret = (await readFile(secrets.turnSecret, 'utf8')).trim();
    await lab.start({
      id: 'coturn',
      kind: 'coturn',
      host: 'relay',
      command: 'turnserver',
      args: [],
      env: {},
      start: async () =>
        (
          await startCoturn(lab.runner('relay'), {
            listeningIp: addressOf(topology, 'relay'),
            certFile: tls.turn.certFile,
            keyFile: tls.turn.keyFile,
            staticAuthSecret: turnSecret,
            realm: 'multiclaw.test',
            stateDir: join(stateDir, 'run', 'coturn'),
          })
        ).process,
    });

    phase = "starting the sites' links (toxiproxy)";
    for (const site of topology.sites) {
      progress('services', `toxiproxy on ${site.router}: the link of site ${site.id}`);
      await lab.start(
        siteLinkDef({
          site,
          driver,
          runner: lab.runner(site.router),
          runDir: lab.runDir,
          onReady: (link) => lab.links.set(site.id, link),
        }),
      );
    }

    phase = 'provisioning the demo workspace';
    progress('provision', 'accounts, workspace, agent and key');
    await provisionDemo(lab);

    phase = 'starting desktops and gateways';
    for (const host of lab.hostsByRole('desktop')) {
      progress('services', `gateway and desktop simulator on ${host.id}`);
      const files = lab.hostFiles(host.id);
      await lab.start(gatewayDef({ id: `${host.id}-gateway`, host: host.id, files, logLevel }));
      const desktop = await lab.start(
        desktopDef({ id: `${host.id}-desktop`, host: host.id, files, updatePublicKey: lab.updatePublicKey, logLevel }),
      );
      lab.desktops.set(host.id, new DesktopDriver(desktop.handle));
    }
    for (const host of lab.hostsByRole('cloud-desktop')) {
      progress('services', `daemon gateway on cloud desktop ${host.id}`);
      const owner = lab.accounts[0]!;
      const created = await lab.api.call<{ instance: { id: string }; instanceToken: string }>(
        'POST',
        `/v1/workspaces/${lab.workspaceId}/instances`,
        {
          credential: owner.bearer,
          body: { name: host.id },
        },
      );
      lab.instances.set(host.id, created.instance.id);
      await lab.start(
        gatewayDef({
          id: `${host.id}-daemon`,
          host: host.id,
          files: lab.hostFiles(host.id),
          logLevel,
          provision: { workspaceId: lab.workspaceId, instanceId: created.instance.id, instanceToken: created.instanceToken },
          // the screen over WebRTC; a cloud desktop has a public address, so STUN only: the
          // viewer's TURN allocation carries the stream when a direct path is impossible
          env: {
            GATEWAY_SCREEN_STREAMER: 'webrtc',
            GATEWAY_TURN_TRANSPORT: 'none',
            GATEWAY_SCREEN_FPS: String(lab.screen.framesPerSecond),
            GATEWAY_SCREEN_FRAME_BYTES: String(lab.screen.frameBytes),
            GATEWAY_SCREEN_CANARY: lab.screenCanary,
          },
        }),
      );
    }

    phase = 'signing in desktops and linking gateways';
    for (const host of lab.hostsByRole('desktop')) {
      const account = lab.accounts.find((a) => a.host === host.id)!;
      const desktop = lab.desktop(host.id);
      progress('provision', `${host.id}: sign in as ${account.email}, connect, link the gateway`);
      await desktop.call('signIn', { email: account.email, password: account.password });
      await desktop.call('connect');
      await desktop.call('linkGateway', { workspaceId: lab.workspaceId });
      await lab.service(`${host.id}-gateway`).handle.waitForLog({ event: 'ws.welcome' }, 30_000);
    }
    phase = 'checking health';
    progress('health', 'every service');
    let status = await lab.status();
    // a check can miss on a loaded machine (each gives up after a few seconds): ask again before failing
    for (let attempt = 2; attempt <= 3 && status.services.some((s) => !s.healthy); attempt++) {
      const waiting = status.services.filter((s) => !s.healthy).map((s) => `${s.id} (${s.detail})`);
      progress('health', `not healthy yet: ${waiting.join(', ')}; checking again (${attempt}/3)`);
      status = await lab.status();
    }
    const sick = status.services.filter((s) => !s.healthy);
    if (sick.length > 0) throw new Error(`not healthy: ${sick.map((s) => `${s.id} (${s.detail ?? 'down'})`).join(', ')}`);
    progress('health', `${status.services.length} services healthy`, true);
    return lab;
  } catch (err) {
    progress('cleanup', `failed while ${phase}; taking down what was made`);
    await lab.down().catch(() => undefined);
    throw new LabStartError(phase, err);
  }
}

/** One account per desktop host (the first owns the workspace), an agent and its key. */
async function provisionDemo(lab: Lab): Promise<void> {
  const desktops = lab.hostsByRole('desktop');
  for (const [i, host] of desktops.entries()) {
    const email = `${host.id}@multiclaw.test`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const { user } = await lab.api.call<{ user: { id: string } }>('POST', '/v1/auth/sign-up', {
      body: { email, password, name: `User of ${host.id}` },
    });
    const { bearer } = await lab.api.call<{ bearer: string }>('POST', '/v1/auth/sign-in', { body: { email, password } });
    lab.accounts.push({ email, password, bearer, userId: user.id, host: host.id });
    if (i === 0) {
      lab.workspaceId = (
        await lab.api.call<{ id: string }>('POST', '/v1/workspaces', { credential: bearer, body: { name: 'Lab workspace' } })
      ).id;
    } else {
      await lab.api.call('POST', `/v1/workspaces/${lab.workspaceId}/members`, {
        credential: lab.accounts[0]!.bearer,
        body: { email, role: 'member' },
      });
    }
  }
  const owner = lab.accounts[0]!;
  const agent = await lab.api.call<{ id: string }>('POST', `/v1/workspaces/${lab.workspaceId}/agents`, {
    credential: owner.bearer,
    body: { name: 'lab-agent', provider: 'lab-llm', model: 'lab-model-1', baseUrl: `https://${PUBLIC_NAMES.llm}/v1` },
  });
  lab.agentId = agent.id;
  const apiKey = `sk-lab-${randomBytes(16).toString('hex')}`;
  await lab.llmAdmin.registerKey(apiKey);
  await lab.api.call('PUT', `/v1/workspaces/${lab.workspaceId}/agents/${agent.id}/key`, {
    credential: owner.bearer,
    body: { apiKey },
  });
}

export async function teardownLab(options: { prefix: string; stateDir: string }): Promise<{ removed: string[] }> {
  const report = await teardownByPrefix(options.prefix, { stateDir: options.stateDir });
  for (const sub of ['run', 'secrets', 'pg', 'pki', 'clock'])
    await rm(join(options.stateDir, sub), { recursive: true, force: true });
  return { removed: report.removed ?? [] };
}
