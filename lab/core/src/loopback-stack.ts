import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdnAdminClient, LlmAdminClient } from '@multiclaw-lab/external';
import type { CoturnHandle } from '@multiclaw-lab/infra';
import {
  cleanChildEnv,
  faketimeEnv,
  type PostgresCluster,
  type ProcessHandle,
  startPostgres,
  startProcess,
  writeClockOffset,
} from '@multiclaw-lab/kit';
import { createLabCA, type LabCA, writeServerCertificate, writeTrustStore } from '@multiclaw-lab/pki';
import { type ComponentName, componentEntry } from './components.ts';
import { DesktopDriver } from './desktop-driver.ts';
import { type LoopbackTurnOptions, loopbackTurnPorts, loopbackTurnUrls, startLoopbackCoturn } from './loopback-turn.ts';

/**
 * The whole reference MultiClaw on this machine's loopback: a throwaway PostgreSQL, the cloud,
 * the LLM provider and the update CDN as real processes with real TLS from a per-run CA, plus
 * gateways and desktop simulators started on demand. Component tests and `pnpm reference` use
 * it; the network lab (netns) starts the same commands inside its hosts.
 */
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
  #cloudEnv: NodeJS.ProcessEnv;
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
    cloudEnv: NodeJS.ProcessEnv;
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
    this.#cloudEnv = init.cloudEnv;
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
    return String(this.#cloudEnv.CLOUD_TURN_SECRET_FILE);
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
    const cloudEnv: NodeJS.ProcessEnv = {
      DATABASE_URL: databaseUrl,
      CLOUD_HOST: '127.0.0.1',
      CLOUD_PORT: '0',
      CLOUD_TLS_CERT_FILE: tls.certFile,
      CLOUD_TLS_KEY_FILE: tls.keyFile,
      CLOUD_TOKEN_SECRET_FILE: await secret('token-secret', 32, 'base64url'),
      CLOUD_MASTER_KEY_FILE: await secret('master-key', 32, 'hex'),
      CLOUD_TURN_SECRET_FILE: await secret('turn-secret', 24, 'base64url'),
      CLOUD_TURN_URLS:
        'stun:turn.multiclaw.test:3478,turn:turn.multiclaw.test:3478?transport=udp,turns:turn.multiclaw.test:443?transport=tcp',
      CLOUD_BCRYPT_COST: '4',
      ...options.cloudEnv,
    };
    const turnPorts = options.turn ? await loopbackTurnPorts(options.turn === true ? {} : options.turn) : undefined;
    if (turnPorts) cloudEnv.CLOUD_TURN_URLS = loopbackTurnUrls(turnPorts).join(',');
    if (options.cloudClock) {
      const offsetFile = join(dir, 'clock', 'cloud.offset');
      await mkdir(join(dir, 'clock'), { recursive: true });
      await writeClockOffset(offsetFile, 0);
      Object.assign(cloudEnv, faketimeEnv(offsetFile));
    }

    const partial: ProcessHandle[] = [];
    let coturn: CoturnHandle | undefined;
    try {
      if (turnPorts) {
        coturn = await startLoopbackCoturn({ dir, ca, secretFile: String(cloudEnv.CLOUD_TURN_SECRET_FILE), ports: turnPorts });
        void coturn.process.logTo(join(dir, 'logs', 'coturn.log'));
      }
      const launch = LoopbackStack.#launcher(dir, logLevel);
      const cloud = await launch('cloud', 'cloud', [], cloudEnv);
      partial.push(cloud);
      const llmSocket = join(dir, 'llm-admin.sock');
      const llm = await launch('llm', 'llm', [], {
        LLM_TLS_CERT_FILE: tls.certFile,
        LLM_TLS_KEY_FILE: tls.keyFile,
        LLM_HOST: '127.0.0.1',
        LLM_PORT: '0',
        LLM_ADMIN_SOCKET: llmSocket,
      });
      partial.push(llm);
      const cdnSocket = join(dir, 'cdn-admin.sock');
      const cdn = await launch('cdn', 'cdn', [], {
        CDN_TLS_CERT_FILE: tls.certFile,
        CDN_TLS_KEY_FILE: tls.keyFile,
        CDN_HOST: '127.0.0.1',
        CDN_PORT: '0',
        CDN_ADMIN_SOCKET: cdnSocket,
      });
      partial.push(cdn);
      const cdnAdmin = new CdnAdminClient(cdnSocket);
      const stack = new LoopbackStack({
        dir,
        ownsDir,
        ca,
        trustBundle,
        pg,
        cloud,
        cloudEnv,
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

  static #launcher(dir: string, logLevel: string) {
    return async (name: string, component: ComponentName, args: string[], env: NodeJS.ProcessEnv, waitForReady = true) => {
      const handle = await startProcess({
        name,
        command: process.execPath,
        args: [componentEntry(component), ...args],
        env: cleanChildEnv({ LOG_LEVEL: logLevel, ...env }),
        waitForReady,
      });
      void handle.logTo(join(dir, 'logs', `${name}.jsonl`));
      return handle;
    };
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
    const env: NodeJS.ProcessEnv = this.clientEnv({ HOME: home, GATEWAY_MODE: options.mode ?? 'local', ...options.env });
    if (options.provision) {
      Object.assign(env, {
        GATEWAY_CLOUD_URL: options.provision.cloudUrl,
        GATEWAY_WORKSPACE_ID: options.provision.workspaceId,
        GATEWAY_INSTANCE_ID: options.provision.instanceId,
        GATEWAY_INSTANCE_TOKEN: options.provision.instanceToken,
      });
    }
    const process = this.#track(await LoopbackStack.#launcher(this.dir, this.#logLevel)(name, 'gateway', [], env));
    return { process, home };
  }

  async startDesktop(name: string, options: DesktopStartOptions = {}): Promise<DesktopDriver> {
    const profileDir = options.profileDir ?? join(this.dir, 'hosts', name, 'profile');
    const env = this.clientEnv({
      HOME: join(this.dir, 'hosts', name),
      DESKTOP_PROFILE_DIR: profileDir,
      DESKTOP_CLOUD_URL: options.cloudUrl ?? this.cloudUrl,
      DESKTOP_CDN_URL: this.cdnUrl,
      DESKTOP_UPDATE_PUBKEY: this.updatePublicKey,
      ...(options.gatewayHome ? { DESKTOP_GATEWAY_HOME: options.gatewayHome } : {}),
      ...options.env,
    });
    const process = this.#track(await LoopbackStack.#launcher(this.dir, this.#logLevel)(name, 'desktop-sim', ['serve'], env));
    return new DesktopDriver(process);
  }

  /** Moves the cloud's wall clock to `seconds` from real time (needs `cloudClock: true`). */
  async setCloudClockOffset(seconds: number): Promise<void> {
    const file = this.#cloudEnv.FAKETIME_TIMESTAMP_FILE;
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
    const next = await LoopbackStack.#launcher(this.dir, this.#logLevel)('cloud', 'cloud', [], {
      ...this.#cloudEnv,
      CLOUD_PORT: port,
    });
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
