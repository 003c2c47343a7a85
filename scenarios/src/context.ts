import { randomBytes } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import { request } from 'node:https';
import { basename, join } from 'node:path';
import { answersTo, type CloudApi, type DesktopDriver, type Lab } from '@multiclaw-lab/core';
import { type LogLine, seededRandom } from '@multiclaw-lab/kit';
import { type Capture, type Fault, PUBLIC_NAMES } from '@multiclaw-lab/network';
import {
  type ChannelKind,
  inviteAndAccept,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  routes,
  signUpAndIn,
  TOKEN_SUBPROTOCOL_PREFIX,
} from '@multiclaw-lab/protocol';
import type { Evidence, Metric, TimelineEntry } from './model.ts';

/** A check failed: the claims it judges are broken (as far as this scenario can tell). */
export class ClaimCheckFailed extends Error {
  readonly step: string;
  readonly claims: readonly string[];
  constructor(step: string, claims: readonly string[], cause: unknown) {
    super(`${step} [${claims.join(', ')}]: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ClaimCheckFailed';
    this.step = step;
    this.claims = claims;
  }
}

export interface Account {
  id: string;
  email: string;
  password: string;
  bearer: string;
}

/**
 * What a scenario works with: the lab, fresh accounts and keys (planted for the canary scan),
 * faults that heal themselves at the end, steps and metrics for the report, and evidence files.
 */
export class ScenarioContext {
  readonly lab: Lab;
  readonly id: string;
  readonly seed: number;
  readonly random: () => number;
  readonly steps: TimelineEntry[] = [];
  readonly metrics: Metric[] = [];
  readonly evidence: Evidence[] = [];
  readonly #faults: Fault[] = [];
  readonly #planted: Map<string, string>;
  readonly #allowedIn: Map<string, string[]>;
  readonly #evidenceDir: string;
  readonly #cleanups: Array<() => Promise<void>> = [];
  readonly startedAt = Date.now();
  /** the claims the scenario declares it verifies */
  readonly claims: readonly string[];
  /** the declared claims some `check` has judged so far */
  readonly checked = new Set<string>();

  /** the run-wide captures of each site router's internet side (pcap files still being written) */
  readonly egressCaptures: Array<{ site: string; file: string }>;

  constructor(init: {
    lab: Lab;
    id: string;
    /** the claims the scenario declares (default: none, so no check can run) */
    claims?: readonly string[];
    seed: number;
    planted: Map<string, string>;
    /** secret → files where it may lie in plaintext (shared with the runner's canary scan) */
    allowedIn?: Map<string, string[]>;
    evidenceDir: string;
    egressCaptures?: Array<{ site: string; file: string }>;
  }) {
    this.egressCaptures = init.egressCaptures ?? [];
    this.lab = init.lab;
    this.id = init.id;
    this.claims = init.claims ?? [];
    this.seed = init.seed;
    this.random = seededRandom(init.seed);
    this.#planted = init.planted;
    this.#allowedIn = init.allowedIn ?? new Map();
    this.#evidenceDir = init.evidenceDir;
  }

  get api(): CloudApi {
    return this.lab.api;
  }

  /**
   * JSON log lines of a service (all its processes, restarts included) received since the
   * scenario started, or since `since` (ms, harness clock), whose fields include `fields`. A
   * group's name covers every instance (`cloud`: cloud, cloud-2, … with several cloud instances).
   */
  events(serviceId: string, fields: Record<string, unknown> = {}, since = this.startedAt): Record<string, unknown>[] {
    return (
      this.lab.history
        .filter((s) => answersTo(s.def, serviceId))
        .flatMap((s) => s.handle.lines)
        .filter((l) => l.receivedAt >= since && l.json && Object.entries(fields).every(([k, v]) => l.json![k] === v))
        // in the order the harness read them: a group's instances (and restarts) interleave
        .sort((a, b) => a.receivedAt - b.receivedAt)
        .map((l) => l.json!)
    );
  }

  /**
   * Waits for a JSON log line of a service's current process (a group's: any instance's),
   * received at or after `since` (ms, harness clock), whose fields include `fields`. Unlike the
   * handle's waitForLog, lines from before `since` never match.
   */
  waitForLog(
    serviceId: string,
    fields: Record<string, unknown>,
    options: { since: number; timeoutMs?: number },
  ): Promise<LogLine> {
    const match = (l: LogLine) =>
      l.receivedAt >= options.since && l.json !== undefined && Object.entries(fields).every(([k, v]) => l.json![k] === v);
    return this.lab.waitForLine(serviceId, match, options.timeoutMs ?? 30_000);
  }

  /** Polls a real state until it holds (for states no event announces); fails after `timeoutMs`. */
  async until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * Tries to open a real-time WSS channel of the cloud with `token`, as a client would (through
   * the lab's out-of-band bridge, TLS verified against the lab CA). Answers whether the upgrade
   * was accepted, and if not the HTTP status and error code the cloud refused it with. An
   * accepted socket is closed again at once (for gateway and daemon channels the cloud lets the
   * newest connection of an instance win, so the real client is replaced and reconnects).
   */
  tryRealtime(channel: ChannelKind, token: string): Promise<{ accepted: boolean; status: number; code?: string }> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: join(this.lab.runDir, 'cloud-api.sock'),
        host: PUBLIC_NAMES.api,
        servername: PUBLIC_NAMES.api,
        ca: this.lab.ca.certPem,
        agent: false,
        path: REALTIME_PATH[channel],
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': randomBytes(16).toString('base64'),
          'sec-websocket-protocol': `${REALTIME_SUBPROTOCOL}, ${TOKEN_SUBPROTOCOL_PREFIX}${token}`,
        },
        timeout: 15_000,
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ accepted: true, status: res.statusCode ?? 101 });
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
          } catch {
            code = undefined;
          }
          resolve({ accepted: false, status: res.statusCode ?? 0, ...(code ? { code } : {}) });
        });
      });
      req.on('timeout', () => req.destroy(new Error('the real-time upgrade got no answer in 15 s')));
      req.on('error', reject);
      req.end();
    });
  }

  note(event: string, fields: Record<string, unknown> = {}): void {
    this.steps.push({ time: new Date().toISOString(), source: 'scenario', event, fields });
  }

  /**
   * A step of the scenario's own doing (setup, faults, waiting for the lab): a failure here says
   * the scenario could not get where it checks anything, not that a promise was broken. Steps that
   * judge a documented claim are `check`s.
   */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.note('step.start', { step: name });
    const started = performance.now();
    try {
      const value = await fn();
      this.note('step.done', { step: name, ms: Math.round(performance.now() - started) });
      return value;
    } catch (err) {
      this.note('step.failed', { step: name, error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /**
   * A verification of documented claims: `fn`'s assertions (and the waits that stand for them,
   * "the app reconnects by itself") judge `claims`, which the scenario must declare. A failure here
   * is a failure of those claims — the only kind of failure that counts as catching a mutant.
   */
  async check<T>(claims: readonly string[], name: string, fn: () => Promise<T>): Promise<T> {
    const undeclared = claims.filter((c) => !this.claims.includes(c));
    if (claims.length === 0 || undeclared.length > 0) {
      throw new Error(
        `check "${name}" must name claims the scenario declares (${this.claims.join(', ')}); got ${claims.length === 0 ? 'none' : undeclared.join(', ')}`,
      );
    }
    for (const c of claims) this.checked.add(c);
    try {
      return await this.step(name, fn);
    } catch (err) {
      if (err instanceof ClaimCheckFailed) throw err;
      throw new ClaimCheckFailed(name, claims, err);
    }
  }

  metric(name: string, value: number, unit: string): void {
    this.metrics.push({ name, value, unit });
    this.note('metric', { name, value, unit });
  }

  /**
   * Registers a secret for the end-of-run canary scan; returns it. `allowedIn`: absolute paths of
   * the files where the secret is documented to live in plaintext; the scan ignores hits in
   * exactly those files and reports every other one.
   */
  plant<T extends string>(secret: T, label: string, options: { allowedIn?: string[] } = {}): T {
    this.#planted.set(secret, `${this.id}: ${label}`);
    if (options.allowedIn?.length) this.#allowedIn.set(secret, [...options.allowedIn]);
    return secret;
  }

  /** Registers a fault to be healed when the scenario ends, whatever happens; returns it. */
  async fault<F extends Fault>(fault: F | Promise<F>): Promise<F> {
    const f = await fault;
    this.#faults.push(f);
    this.note('fault.on', { fault: f.description });
    return f;
  }

  /** Heals a fault now (and notes it); it is not healed again at the end. */
  async heal(fault: Fault): Promise<void> {
    await fault.heal();
    this.note('fault.healed', { fault: fault.description });
  }

  /** Something to undo when the scenario ends (after faults are healed). */
  onCleanup(fn: () => Promise<void>): void {
    this.#cleanups.push(fn);
  }

  /** Copies a file into the run's evidence folder. */
  async attach(name: string, file: string, kind: Evidence['kind']): Promise<void> {
    await mkdir(this.#evidenceDir, { recursive: true });
    const target = join(this.#evidenceDir, `${this.id}-${basename(file)}`);
    await copyFile(file, target);
    this.evidence.push({ name, path: join('evidence', basename(target)), kind });
  }

  /** Starts a packet capture that is attached as evidence when stopped. */
  async capture(
    hostId: string,
    iface: string,
    filter?: string,
  ): Promise<Capture & { stopAndAttach(name: string): Promise<string> }> {
    const file = join(this.lab.stateDir, 'logs', `${this.id}-${hostId}-${iface}-${randomBytes(3).toString('hex')}.pcap`);
    const capture = await this.lab.driver.capture(hostId, iface, { file, ...(filter ? { filter } : {}) });
    let stopped = false;
    const stop = async () => {
      if (!stopped) {
        stopped = true;
        await capture.stop();
      }
      return file;
    };
    this.#cleanups.push(async () => void (await stop()));
    return {
      file,
      stop,
      stopAndAttach: async (name: string) => {
        await stop();
        await this.attach(name, file, 'pcap');
        return file;
      },
    };
  }

  /** A new account (signed up and signed in); its password is planted. */
  async account(label: string): Promise<Account> {
    const tag = randomBytes(3).toString('hex');
    const email = `${this.id.toLowerCase()}-${label}-${tag}@multiclaw.test`.replace(/[^a-z0-9@.-]/g, '-');
    const password = this.plant(`pw-${randomBytes(12).toString('base64url')}`, `password of ${label}`);
    const { id, bearer } = await signUpAndIn(this.api, { email, password, name: label });
    return { id, email, password, bearer };
  }

  async workspace(owner: Account, members: Array<{ account: Account; role?: 'owner' | 'member' }> = []): Promise<string> {
    const { id } = await this.api.request(routes.createWorkspace, {
      credential: owner.bearer,
      body: { name: `${this.id} workspace` },
    });
    for (const m of members) {
      await inviteAndAccept(this.api, { ownerBearer: owner.bearer, wid: id, member: m.account, role: m.role ?? 'member' });
    }
    return id;
  }

  /**
   * A new LLM API key, registered at the provider and planted. Deliberately not in a shape the
   * components' log scrubber masks (`sk-…`): a key that leaks into a log must show up there, so
   * the leak checks judge the components and not the scrubber (which has unit tests of its own).
   */
  async apiKey(label: string): Promise<string> {
    const key = this.plant(`llmkey-${label}-${randomBytes(16).toString('hex')}`, `LLM key ${label}`);
    await this.lab.llmAdmin.registerKey(key);
    return key;
  }

  /** An agent in the workspace using the lab's LLM provider, with `apiKey` set in the cloud. */
  async agent(owner: Account, workspaceId: string, apiKey: string): Promise<string> {
    const agent = await this.api.request(routes.createAgent, {
      credential: owner.bearer,
      params: { wid: workspaceId },
      body: { name: `${this.id}-agent`, provider: 'lab-llm', model: 'lab-model-1', baseUrl: 'https://api.llm.test/v1' },
    });
    await this.api.request(routes.setAgentKey, {
      credential: owner.bearer,
      params: { wid: workspaceId, aid: agent.id },
      body: { apiKey },
    });
    return agent.id;
  }

  /**
   * Puts `account` on the desktop app of `hostId`: signs out whoever was there, signs in (with
   * the password, as a person would), connects the real-time channel, and, with a workspace,
   * links the host's local gateway to it.
   */
  async useDesktop(hostId: string, account: Account, options: { workspaceId?: string } = {}): Promise<DesktopDriver> {
    const desktop = this.lab.desktop(hostId);
    const status = await desktop.call('status');
    if (status.signedIn) await desktop.call('signOut');
    await desktop.call('signIn', { email: account.email, password: account.password });
    const mark = desktop.mark();
    await desktop.call('connect');
    await desktop.waitForEvent({ event: 'realtime.connected' }, { since: mark, timeoutMs: 30_000 });
    if (options.workspaceId) {
      const gateway = this.lab.service(`${hostId}-gateway`).handle;
      const from = gateway.lines.length;
      await desktop.call('linkGateway', { workspaceId: options.workspaceId });
      await gateway.waitForLine((l) => l.json?.event === 'ws.welcome' && gateway.lines.indexOf(l) >= from, 30_000);
    }
    this.note('desktop.ready', { host: hostId, user: account.email, workspaceId: options.workspaceId ?? null });
    return desktop;
  }

  /** Heals faults (newest first), then runs cleanups. Errors are collected, not thrown one by one. */
  async close(): Promise<Error[]> {
    const errors: Error[] = [];
    for (const f of this.#faults.reverse()) {
      await f.heal().then(
        () => this.note('fault.healed', { fault: f.description }),
        (err: Error) => errors.push(err),
      );
    }
    for (const fn of this.#cleanups.reverse()) await fn().catch((err: Error) => errors.push(err));
    return errors;
  }
}
