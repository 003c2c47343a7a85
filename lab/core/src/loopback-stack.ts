/**
 * The whole reference MultiClaw on this machine's loopback: a throwaway PostgreSQL, the cloud,
 * the LLM provider and the update CDN as real processes with real TLS from a per-run CA, plus
 * gateways and desktop simulators started on demand. Component tests and `pnpm reference` use
 * it. It starts the very service definitions the network lab starts in its hosts
 * (lab/definitions.ts), on 127.0.0.1 with free ports and its own URLs.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdnAdminClient, LlmAdminClient } from '@multiclaw-lab/external';
import type { CoturnHandle } from '@multiclaw-lab/infra';
import { faketimeEnv, type PostgresCluster, type ProcessHandle, startPostgres, writeClockOffset } from '@multiclaw-lab/kit';
import { createLabCA, type LabCA, writeServerCertificate, writeTrustStore } from '@multiclaw-lab/pki';
import { HEARTBEAT } from '@multiclaw-lab/protocol';
import { DesktopDriver } from './desktop-driver.ts';
import { cdnDef, cloudDef, desktopDef, gatewayDef, type HostFiles, LAB_TURN_URLS, llmDef } from './lab/definitions.ts';
import { runService, type ServiceDef } from './lab/service.ts';
import { type LoopbackTurnOptions, loopbackTurnPorts, loopbackTurnUrls, startLoopbackCoturn } from './loopback-turn.ts';

export interface LoopbackStackOptions {
  /** where state, certificates and logs go (default: a new temp folder, removed on close) */
  dir?: string;
  /** an existing cluster to use instead of starting one (tests share the run's cluster) */
  databaseUrl?: string;
  /** extra environment for the cloud (e.g. CLOUD_SWEEP_INTERVAL_MS) */
  cloudEnv?: Record<string, string>;
  logLevel?: string;
  /** run the cloud under libfaketime so tests can move its wall clock (setCloudClockOffset) */
  cloudClock?: boolean;
  /**
   * Start a real coturn on 127.0.0.1 too (WebRTC viewing): same shared secret as the cloud, a
   * certificate from the stack's CA, and the cloud's CLOUD_TURN_URLS pointing at it.
   */
  turn?: boolean | LoopbackTurnOptions;
}

export interface GatewayStartOptions {
  mode?: 'local' | 'daemon';
  /** HOME of the gateway (default: a fresh folder in the stack dir) */
  home?: string;
  env?: Record<string, string>;
  /** daemon provisioning */
  provision?: { cloudUrl: string; workspaceId: string; instanceId: string; instanceToken: string };
}

export interface DesktopStartOptions {
  profileDir?: string;
  gatewayHome?: string;
  /** cloud URL the app uses (default the cloud's; tests point it at a relay) */
  cloudUrl?: string;
  env?: Record<string, string>;
}

const NAMES = ['api.multiclaw.test', 'cdn.multiclaw.test', 'api.llm.test', 'localhost', '127.0.0.1'];

export class LoopbackStack implements AsyncDisposable {
  readonly dir: string;
  readonly ca: LabCA;
  readonly trustBundle: string;
  readonly updatePublicKey: string;
  readonly llm: ProcessHandle;
  readonly cdn: ProcessHandle;
  readonly llmAdmin: LlmAdminClient;
  readonly cdnAdmin: CdnAdminClient;
  readonly processes = new Set<ProcessHandle>();
  /** the stack's coturn when started with `turn` */
  readonly coturn: CoturnHandle | undefined;
  #cloudDef: ServiceDef;
  #cloudProcess: ProcessHandle;
  #pg: PostgresCluster | undefined;
  #ownsDir: boolean;
  #logLevel: string;

  private constructor(init: {
    dir: string;
    ownsDir: boolean;
    ca: LabCA;
    trustBundle: string;
    pg: PostgresCluster | undefined;
    cloud: ProcessHandle;
    cloudDef: ServiceDef;
    llm: ProcessHandle;
    cdn: ProcessHandle;
    llmAdmin: LlmAdminClient;
    cdnAdmin: CdnAdminClient;
    updatePublicKey: string;
    logLevel: string;
    coturn: CoturnHandle | undefined;
  }) {
    this.dir = init.dir;
    this.#ownsDir = init.ownsDir;
    this.ca = init.ca;
    this.trustBundle = init.trustBundle;
    this.#pg = init.pg;
    this.#cloudProcess = init.cloud;
    this.#cloudDef = init.cloudDef;
    this.llm = init.llm;
    this.cdn = init.cdn;
    this.llmAdmin = init.llmAdmin;
    this.cdnAdmin = init.cdnAdmin;
    this.updatePublicKey = init.updatePublicKey;
    this.#logLevel = init.logLevel;
    this.coturn = init.coturn;
  }

  /** The cloud process currently running (it changes after restartCloud). */
  get cloud(): ProcessHandle {
    return this.#cloudProcess;
  }

  get cloudUrl(): string {
    return String(this.#cloudProcess.ready.url);
  }

  get cloudPort(): number {
    return Number(this.#cloudProcess.ready.port);
  }

  get llmUrl(): string {
    return String(this.llm.ready.url);
  }

  get cdnUrl(): string {
    return String(this.cdn.ready.url);
  }

  /** The cloud's coturn shared secret (CLOUD_TURN_SECRET_FILE): a test's coturn must use the same one. */
  get turnSecretFile(): string {
    return String(this.#cloudDef.env.CLOUD_TURN_SECRET_FILE);
  }

  static async start(options: LoopbackStackOptions = {}): Promise<LoopbackStack> {
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'mclab-stack-')));
    const logLevel = options.logLevel ?? 'info';
    await mkdir(join(dir, 'logs'), { recursive: true });
    const secretsDir = join(dir, 'secrets');
    await mkdir(secretsDir, { recursive: true, mode: 0o700 });
    await chmod(secretsDir, 0o700);

    const ca = await createLabCA();
    const leaf = await ca.issue(NAMES);
    const tls = await writeServerCertificate(join(dir, 'tls'), 'server', leaf);
    const trustBundle = await writeTrustStore(join(dir, 'trust'), [ca]);

    let pg: PostgresCluster | undefined;
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      pg = await startPostgres();
      databaseUrl = await pg.createDatabase('multiclaw');
    }

    const secret = async (name: string, bytes: number, encoding: 'hex' | 'base64url') => {
      const file = join(secretsDir, name);
      await writeFile(file, randomBytes(bytes).toString(encoding), { mode: 0o600 });
      return file;
    };
    const secrets = {
      tokenSecret: await secret('token-secret', 32, 'base64url'),
      masterKey: await secret('master-key', 32, 'hex'),
      turnSecret: await secret('turn-secret', 24, 'base64url'),
    };
    const turnPorts = options.turn ? await loopbackTurnPorts(options.turn === true ? {} : options.turn) : undefined;
    let clockEnv: Record<string, string> = {};
    if (options.cloudClock) {
      const offsetFile = join(dir, 'clock', 'cloud.offset');
      await mkdir(join(dir, 'clock'), { recursive: true });
      await writeClockOffset(offsetFile, 0);
      clockEnv = faketimeEnv(offsetFile);
    }
    const files = (name: string, clock: Record<string, string> = {}) => LoopbackStack.#files(dir, trustBundle, name, clock);
    const cloudDefinition = cloudDef({
      host: 'loopback',
      address: '127.0.0.1',
      port: 0,
      files: files('cloud', clockEnv),
      tls,
      databaseUrl,
      secrets,
      logLevel,
      turnUrls: turnPorts ? loopbackTurnUrls(turnPorts) : LAB_TURN_URLS,
      corsOrigins: [],
      env: { CLOUD_BCRYPT_COST: '4', ...options.cloudEnv },
    });

    const partial: ProcessHandle[] = [];
    let coturn: CoturnHandle | undefined;
    try {
      if (turnPorts) {
        coturn = await startLoopbackCoturn({ dir, ca, secretFile: secrets.turnSecret, ports: turnPorts });
        void coturn.process.logTo(join(dir, 'logs', 'coturn.log'));
      }
      const run = (def: ServiceDef) => LoopbackStack.#run(dir, def);
      const cloud = await run(cloudDefinition);
      partial.push(cloud);
      const llmSocket = join(dir, 'llm-admin.sock');
      const cdnSocket = join(dir, 'cdn-admin.sock');
      // side by side; both are kept before a failure of either is thrown, so the other is stopped too
      const both = await Promise.allSettled([
        run(
          llmDef({ host: 'loopback', address: '127.0.0.1', port: 0, files: files('llm'), tls, adminSocket: llmSocket, logLevel }),
        ),
        run(
          cdnDef({ host: 'loopback', address: '127.0.0.1', port: 0, files: files('cdn'), tls, adminSocket: cdnSocket, logLevel }),
        ),
      ]);
      for (const r of both) if (r.status === 'fulfilled') partial.push(r.value);
      const [llm, cdn] = both.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      }) as [ProcessHandle, ProcessHandle];
      const cdnAdmin = new CdnAdminClient(cdnSocket);
      const stack = new LoopbackStack({
        dir,
        ownsDir,
        ca,
        trustBundle,
        pg,
        cloud,
        cloudDef: cloudDefinition,
        llm,
        cdn,
        llmAdmin: new LlmAdminClient(llmSocket),
        cdnAdmin,
        updatePublicKey: await cdnAdmin.publicKey(),
        logLevel,
        coturn,
      });
      for (const p of partial) stack.#track(p);
      return stack;
    } catch (err) {
      await Promise.allSettled([...partial.map((p) => p.stop()), coturn?.stop()]);
      await pg?.stop();
      if (ownsDir) await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** A host's files on loopback: a HOME of its own under hosts/, the stack's trust store. */
  static #files(dir: string, trustBundle: string, name: string, clockEnv: Record<string, string> = {}): HostFiles {
    return { home: join(dir, 'hosts', name, 'home'), trustBundle, trustDir: join(dir, 'trust'), clockEnv };
  }

  /** Runs a definition as a plain child process here, logging to logs/<id>.log like the lab does. */
  static async #run(dir: string, def: ServiceDef): Promise<ProcessHandle> {
    const here = {
      spawn: (_host: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
        spawn(command, args, { env: options.env ?? {}, cwd: options.cwd, stdio: 'pipe' }),
    };
    return (await runService(here, def, join(dir, 'logs'))).handle;
  }

  #track(handle: ProcessHandle): ProcessHandle {
    this.processes.add(handle);
    handle.once('exit', () => this.processes.delete(handle));
    return handle;
  }

  /** Environment of a client process on this machine: the lab CA as its only trusted root. */
  clientEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { SSL_CERT_FILE: this.trustBundle, SSL_CERT_DIR: join(this.dir, 'trust'), ...extra };
  }

  async startGateway(name: string, options: GatewayStartOptions = {}): Promise<{ process: ProcessHandle; home: string }> {
    const home = options.home ?? join(this.dir, 'hosts', name, 'home');
    await mkdir(home, { recursive: true });
    const def = gatewayDef({
      id: name,
      host: 'loopback',
      files: { ...LoopbackStack.#files(this.dir, this.trustBundle, name), home },
      logLevel: this.#logLevel,
      env: { GATEWAY_MODE: options.mode ?? 'local', ...options.env },
      ...(options.provision ? { provision: options.provision } : {}),
    });
    const process = this.#track(await LoopbackStack.#run(this.dir, def));
    return { process, home };
  }

  async startDesktop(name: string, options: DesktopStartOptions = {}): Promise<DesktopDriver> {
    const def = desktopDef({
      id: name,
      host: 'loopback',
      files: { ...LoopbackStack.#files(this.dir, this.trustBundle, name), home: join(this.dir, 'hosts', name) },
      updatePublicKey: this.updatePublicKey,
      logLevel: this.#logLevel,
      profileDir: options.profileDir ?? join(this.dir, 'hosts', name, 'profile'),
      cloudUrl: options.cloudUrl ?? this.cloudUrl,
      cdnUrl: this.cdnUrl,
      gatewayHome: options.gatewayHome ?? false,
      heartbeat: HEARTBEAT,
      ...(options.env ? { env: options.env } : {}),
    });
    const process = this.#track(await LoopbackStack.#run(this.dir, def));
    return new DesktopDriver(process);
  }

  /** Moves the cloud's wall clock to `seconds` from real time (needs `cloudClock: true`). */
  async setCloudClockOffset(seconds: number): Promise<void> {
    const file = this.#cloudDef.env.FAKETIME_TIMESTAMP_FILE;
    if (!file) throw new Error('the cloud was not started with cloudClock: true');
    await writeClockOffset(file, seconds);
  }

  /** Stops the cloud (SIGKILL if `crash`) and starts it again on the same port and database. */
  async restartCloud(options: { crash?: boolean } = {}): Promise<ProcessHandle> {
    const port = String(this.cloudPort);
    if (options.crash) {
      this.#cloudProcess.signal('SIGKILL');
      await this.#cloudProcess.waitForExit();
    } else {
      await this.#cloudProcess.stop();
    }
    const next = await LoopbackStack.#run(this.dir, { ...this.#cloudDef, env: { ...this.#cloudDef.env, CLOUD_PORT: port } });
    this.#cloudProcess = this.#track(next);
    return next;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...[...this.processes].map((p) => p.stop()), this.coturn?.stop()]);
    await this.#pg?.stop();
    if (this.#ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
