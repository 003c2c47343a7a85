import { EventEmitter, on } from 'node:events';
import { type BackoffOptions, type Clock, createLogger, type Logger, systemClock } from '@multiclaw-lab/kit';
import {
  AgentsResponse,
  AgentView,
  CreateInstanceResponse,
  GatewayTokenResponse,
  InstancesResponse,
  InvitationsResponse,
  InvitationView,
  MembersResponse,
  MeResponse,
  RealtimeTokenResponse,
  type Role,
  SignInResponse,
  type StartTaskRequest,
  TaskStatusesResponse,
  TranscriptResponse,
  TurnCredentialsResponse,
  type UserServerFrame,
  type UserView,
  WorkspaceView,
} from '@multiclaw-lab/protocol';
import type { z } from 'zod';
import { CloudClient } from './cloud-client.ts';
import { DesktopError, isUnauthorized, notSignedIn, ServiceError } from './errors.ts';
import { GatewayClient } from './gateway-client.ts';
import { LocalStorage } from './local-storage.ts';
import { mutant } from './mutant.ts';
import { keepBearerInOpenclawJson, storedPlainKeyAgents } from './mutant-defects.ts';
import {
  type DroppedEvent,
  type HeartbeatOptions,
  RealtimeConnection,
  type ReconnectedEvent,
  type TaskEventFrame,
} from './realtime.ts';
import { type UpdateCheckResult, Updater } from './updater.ts';
import { type ViewMode, type ViewSession, viewDesktop } from './viewer.ts';

export type DesktopState = 'signed-out' | 'signed-in' | 'connecting' | 'connected' | 'reconnecting';

/** Keys of the app's local storage (what a WebView app would keep in window.localStorage). */
const BEARER_KEY = 'multiclaw.bearer';
const USER_KEY = 'multiclaw.user';

export interface DesktopAppOptions {
  /** the profile folder: local storage, installed updates */
  profileDir: string;
  /** MultiClaw Cloud, e.g. https://api.multiclaw.test */
  cloudUrl: string | URL;
  /** HOME of the local gateway, whose `.openclaw/run/local-api.json` the app reads */
  gatewayHome?: string;
  /** the update CDN, e.g. https://cdn.multiclaw.test */
  cdnUrl?: string | URL;
  updateChannel?: string;
  /** minisign public key built into the app (.pub text); without it no update is ever installed */
  updatePublicKey?: string;
  /** the version this app was built as */
  version?: string;
  /** name this device registers its gateway under */
  deviceName?: string;
  /** CA certificates to trust instead of the process default (tests). The CLI uses the OS store. */
  ca?: string | string[];
  logger?: Logger;
  clock?: Clock;
  heartbeat?: HeartbeatOptions;
  backoff?: BackoffOptions;
  handshakeTimeoutMs?: number;
  /** WebRTC viewing: direct candidates only on these addresses (lab: ['127.0.0.1']); default: werift's choice */
  webrtcHostAddresses?: string[];
}

export interface SignedOutEvent {
  /** 'user': signOut() was called; 'revoked': the cloud refused the bearer (401) */
  reason: 'user' | 'revoked';
  code?: string;
}

interface Events {
  state: [DesktopState];
  'signed-in': [UserView];
  'signed-out': [SignedOutEvent];
  connected: [{ connectionId: string }];
  dropped: [DroppedEvent];
  'realtime.reconnected': [ReconnectedEvent];
  task: [TaskEventFrame];
  'update.installed': [Record<string, unknown>];
  'update.rejected': [Record<string, unknown>];
}

export const DEFAULT_VERSION = '1.0.0';

/**
 * The MultiClaw desktop app without its UI. Everything the UI would do goes through here:
 * sign-in and the bearer in local storage, REST calls to the cloud, the real-time WSS, the local
 * gateway, the updater. Create it with `createDesktopApp`, dispose it with `await using`.
 */
export class DesktopApp extends EventEmitter<Events> {
  readonly options: DesktopAppOptions;
  readonly logger: Logger;
  readonly storage: LocalStorage;
  readonly cloud: CloudClient;
  readonly #clock: Clock;
  readonly #realtime: RealtimeConnection;
  readonly #gateway: GatewayClient | undefined;
  readonly #updater: Updater | undefined;
  #bearer: string | undefined;
  #user: UserView | undefined;
  #state: DesktopState = 'signed-out';

  constructor(options: DesktopAppOptions) {
    super();
    this.options = options;
    this.logger = options.logger ?? createLogger({ service: 'desktop-sim' });
    this.#clock = options.clock ?? systemClock;
    this.storage = new LocalStorage(options.profileDir);
    const cloudUrl = new URL(options.cloudUrl);
    if (cloudUrl.protocol !== 'https:') {
      throw new DesktopError('bad_option', `the cloud URL must be https (got ${cloudUrl.protocol})`, {
        hint: 'the desktop app talks to MultiClaw Cloud over TLS only',
      });
    }
    this.cloud = new CloudClient({ cloudUrl, ca: options.ca, logger: this.logger });
    this.#realtime = new RealtimeConnection({
      cloudUrl,
      ca: options.ca,
      logger: this.logger,
      clock: this.#clock,
      mintToken: (signal) => this.#mintToken(signal),
      ...(options.heartbeat ? { heartbeat: options.heartbeat } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.handshakeTimeoutMs ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    });
    this.#realtime.on('state', (s) => {
      if (this.#bearer) this.#setState(s === 'idle' ? 'signed-in' : s);
    });
    this.#realtime.on('welcome', (w) => this.emit('connected', { connectionId: w.connectionId }));
    this.#realtime.on('dropped', (d) => this.emit('dropped', d));
    this.#realtime.on('reconnected', (r) => this.emit('realtime.reconnected', r));
    this.#realtime.on('task', (t) => this.emit('task', t));
    this.#realtime.on('unauthorized', (err) => void this.#revoked(err));
    if (options.gatewayHome) this.#gateway = new GatewayClient(options.gatewayHome);
    if (options.cdnUrl) {
      this.#updater = new Updater({
        profileDir: options.profileDir,
        cdnUrl: new URL(options.cdnUrl),
        channel: options.updateChannel ?? 'stable',
        builtVersion: options.version ?? DEFAULT_VERSION,
        publicKey: options.updatePublicKey ?? '',
        dispatcher: this.cloud.dispatcher,
        logger: this.logger,
        clock: this.#clock,
        onEvent: (event, fields) => {
          if (event !== 'update.none') this.emit(event, fields);
        },
      });
    }
  }

  /** Loads the bearer a previous run left in local storage (the app "remembers" its sign-in). */
  async init(): Promise<this> {
    await this.storage.ensureDir();
    const values = await this.storage.readAll();
    this.#bearer = values[BEARER_KEY];
    if (this.#bearer && values[USER_KEY]) {
      try {
        this.#user = JSON.parse(values[USER_KEY]) as UserView;
      } catch {
        this.#user = undefined;
      }
    }
    this.#setState(this.#bearer ? 'signed-in' : 'signed-out');
    return this;
  }

  get state(): DesktopState {
    return this.#state;
  }

  get user(): UserView | undefined {
    return this.#user;
  }

  get signedIn(): boolean {
    return this.#bearer !== undefined;
  }

  #setState(state: DesktopState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.logger.info({ event: 'state', state }, `state: ${state}`);
    this.emit('state', state);
  }

  // --- account -------------------------------------------------------------------------------

  async signIn(email: string, password: string): Promise<{ user: UserView }> {
    // The password goes to the cloud once and is then forgotten: never stored, never logged.
    const { bearer, user } = await this.cloud.call('POST', '/v1/auth/sign-in', {
      body: { email, password },
      schema: SignInResponse,
    });
    if (mutant('bearer-in-openclaw-json') && this.options.gatewayHome) {
      await this.storage.set({ [USER_KEY]: JSON.stringify(user) });
      await keepBearerInOpenclawJson(this.options.gatewayHome, bearer);
    } else await this.storage.set({ [BEARER_KEY]: bearer, [USER_KEY]: JSON.stringify(user) });
    this.#bearer = bearer;
    this.#user = user;
    this.logger.info({ event: 'signed-in', userId: user.id }, 'signed in');
    this.#setState('signed-in');
    this.emit('signed-in', user);
    return { user };
  }

  /**
   * Closes the WSS, asks the cloud to revoke the bearer, and deletes the bearer from local
   * storage — also when the cloud cannot be reached, so a signed-out device holds no credential.
   */
  async signOut(): Promise<{ revokedByCloud: boolean }> {
    const bearer = this.#bearer;
    await this.#realtime.stop();
    let revokedByCloud = false;
    if (bearer) {
      try {
        await this.cloud.call('POST', '/v1/auth/sign-out', { bearer });
        revokedByCloud = true;
      } catch (err) {
        this.logger.warn(
          { event: 'sign-out.cloud_failed', err },
          'the cloud did not confirm the sign-out; clearing locally anyway',
        );
      }
    }
    await this.#forgetBearer({ keepStored: mutant('sign-out-keeps-local-bearer') });
    this.logger.info({ event: 'signed-out', reason: 'user', revokedByCloud }, 'signed out');
    this.emit('signed-out', { reason: 'user' });
    return { revokedByCloud };
  }

  async #forgetBearer(options: { keepStored?: boolean } = {}): Promise<void> {
    this.#bearer = undefined;
    this.#user = undefined;
    if (!options.keepStored) await this.storage.delete(BEARER_KEY, USER_KEY);
    this.#setState('signed-out');
  }

  /**
   * The cloud refused the bearer (revoked: sign-out elsewhere, password change, user removal).
   * Stop everything that uses it, drop it (it can never work again) and report signed out once.
   */
  async #revoked(err: unknown): Promise<void> {
    if (!this.#bearer) return;
    const code = err instanceof ServiceError ? err.code : 'unauthenticated';
    this.#bearer = undefined;
    await this.#realtime.stop();
    await this.#forgetBearer();
    this.logger.warn({ event: 'signed-out', reason: 'revoked', code }, 'the cloud refused the bearer: signed out');
    this.emit('signed-out', { reason: 'revoked', code });
  }

  /** A REST call with the bearer; a 401 means the bearer is gone and signs the app out. */
  async #authed<S extends z.ZodType | undefined = undefined>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; schema?: S } = {},
  ): Promise<S extends z.ZodType ? z.infer<S> : undefined> {
    const bearer = this.#bearer;
    if (!bearer) throw notSignedIn();
    try {
      return await this.cloud.call(method, path, { ...options, bearer });
    } catch (err) {
      if (isUnauthorized(err)) await this.#revoked(err);
      throw err;
    }
  }

  /**
   * Called by the real-time run loop only. A 401 here is not handled like other REST calls:
   * the loop sees it, stops itself and reports `unauthorized`, which signs the app out.
   */
  #mintToken(signal: AbortSignal) {
    const bearer = this.#bearer;
    if (!bearer) throw notSignedIn();
    return this.cloud.call('POST', '/v1/realtime/token', {
      bearer,
      body: { channel: 'user' },
      schema: RealtimeTokenResponse,
      signal,
    });
  }

  me() {
    return this.#authed('GET', '/v1/me', { schema: MeResponse });
  }

  changePassword(currentPassword: string, newPassword: string): Promise<undefined> {
    return this.#authed('POST', '/v1/auth/password', { body: { currentPassword, newPassword } });
  }

  // --- real-time -------------------------------------------------------------------------------

  /** Opens the real-time WSS and resolves once the cloud has welcomed it; reconnects by itself after. */
  async connect(): Promise<{ connectionId: string }> {
    if (!this.#bearer) throw notSignedIn();
    const welcome = await this.#realtime.start();
    return { connectionId: welcome.connectionId };
  }

  /** Closes the WSS (no reconnect); the app stays signed in. */
  async disconnect(): Promise<void> {
    await this.#realtime.stop();
  }

  /** Task events as they arrive, until `signal` aborts. */
  async *taskEvents(signal?: AbortSignal): AsyncGenerator<TaskEventFrame> {
    for await (const [frame] of on(this, 'task', signal ? { signal } : {})) yield frame as TaskEventFrame;
  }

  // --- workspaces (thin wrappers the scenarios use) -------------------------------------------

  async createWorkspace(name: string) {
    return this.#authed('POST', '/v1/workspaces', { body: { name }, schema: WorkspaceView });
  }

  listMembers(workspaceId: string) {
    return this.#authed('GET', `/v1/workspaces/${enc(workspaceId)}/members`, { schema: MembersResponse });
  }

  inviteMember(workspaceId: string, email: string, role: Role = 'member') {
    return this.#authed('POST', `/v1/workspaces/${enc(workspaceId)}/invitations`, {
      body: { email, role },
      schema: InvitationView,
    });
  }

  listInvitations() {
    return this.#authed('GET', '/v1/invitations', { schema: InvitationsResponse });
  }

  acceptInvitation(invitationId: string) {
    return this.#authed('POST', `/v1/invitations/${enc(invitationId)}/accept`, { schema: WorkspaceView });
  }

  removeMember(workspaceId: string, userId: string): Promise<undefined> {
    return this.#authed('DELETE', `/v1/workspaces/${enc(workspaceId)}/members/${enc(userId)}`);
  }

  forceSignOut(workspaceId: string, userId: string): Promise<undefined> {
    return this.#authed('POST', `/v1/workspaces/${enc(workspaceId)}/members/${enc(userId)}/sign-out`);
  }

  createAgent(workspaceId: string, agent: { name: string; provider: string; model: string; baseUrl: string }) {
    return this.#authed('POST', `/v1/workspaces/${enc(workspaceId)}/agents`, { body: agent, schema: AgentView });
  }

  listAgents(workspaceId: string) {
    return this.#authed('GET', `/v1/workspaces/${enc(workspaceId)}/agents`, { schema: AgentsResponse });
  }

  setAgentKey(workspaceId: string, agentId: string, apiKey: string) {
    return this.#authed('PUT', `/v1/workspaces/${enc(workspaceId)}/agents/${enc(agentId)}/key`, {
      body: { apiKey },
      schema: AgentView,
    });
  }

  deleteAgentKey(workspaceId: string, agentId: string) {
    return this.#authed('DELETE', `/v1/workspaces/${enc(workspaceId)}/agents/${enc(agentId)}/key`, { schema: AgentView });
  }

  createInstance(workspaceId: string, name: string) {
    return this.#authed('POST', `/v1/workspaces/${enc(workspaceId)}/instances`, {
      body: { name },
      schema: CreateInstanceResponse,
    });
  }

  listInstances(workspaceId: string) {
    return this.#authed('GET', `/v1/workspaces/${enc(workspaceId)}/instances`, { schema: InstancesResponse });
  }

  grantViewer(workspaceId: string, instanceId: string, userId: string): Promise<undefined> {
    return this.#authed('PUT', `/v1/workspaces/${enc(workspaceId)}/instances/${enc(instanceId)}/viewers/${enc(userId)}`);
  }

  taskStatuses(workspaceId: string, taskId: string) {
    return this.#authed('GET', `/v1/workspaces/${enc(workspaceId)}/tasks/${enc(taskId)}/statuses`, {
      schema: TaskStatusesResponse,
    });
  }

  transcript(workspaceId: string, conversationId: string) {
    return this.#authed('GET', `/v1/workspaces/${enc(workspaceId)}/transcripts/${enc(conversationId)}`, {
      schema: TranscriptResponse,
    });
  }

  turnCredentials() {
    return this.#authed('GET', '/v1/turn/credentials', { schema: TurnCredentialsResponse });
  }

  // --- cloud desktop viewing (WebRTC) ---------------------------------------------------------

  /**
   * Opens a WebRTC viewing session to a cloud desktop: fresh TURN credentials with the bearer,
   * signalling (offer, answer, candidates) only over the real-time WSS, frames over a DataChannel.
   * Fails with DesktopError `webrtc_timeout` when no connection is made within `timeoutMs`.
   */
  async viewCloudDesktop(
    instanceId: string,
    options: { mode: ViewMode; timeoutMs: number; directTimeoutMs?: number },
  ): Promise<ViewSession> {
    const turn = await this.turnCredentials();
    if (this.#realtime.state !== 'connected') await this.connect();
    const realtime = this.#realtime;
    return viewDesktop({
      instanceId,
      mode: options.mode,
      timeoutMs: options.timeoutMs,
      turn,
      logger: this.logger,
      ca: this.options.ca,
      hostAddresses: this.options.webrtcHostAddresses,
      directTimeoutMs: options.directTimeoutMs,
      signalling: {
        send: (frame) => realtime.send(frame),
        subscribe: (listener) => {
          realtime.on('frame', listener);
          return () => realtime.off('frame', listener);
        },
      },
    });
  }

  /**
   * Test hook (not a feature of the real app): sends one raw signalling frame over the user WSS,
   * as a tampered client could, and reports the cloud's `error` answer to it (matched by `ref`),
   * or `answered: false` if none came within `waitMs`.
   */
  async sendRawSignal(
    frame: Record<string, unknown>,
    waitMs: number,
  ): Promise<{ answered: boolean; code?: string; message?: string }> {
    const realtime = this.#realtime;
    if (realtime.state !== 'connected') throw new DesktopError('not_connected', 'the real-time connection is not open');
    const answer = new Promise<{ answered: boolean; code?: string; message?: string }>((resolve) => {
      const done = (result: { answered: boolean; code?: string; message?: string }) => {
        clearTimeout(timer);
        realtime.off('frame', onFrame);
        resolve(result);
      };
      const onFrame = (f: UserServerFrame) => {
        if (f.type === 'error' && f.ref === frame.type) done({ answered: true, code: f.code, message: f.message });
      };
      const timer = setTimeout(() => done({ answered: false }), waitMs);
      realtime.on('frame', onFrame);
    });
    if (!realtime.send(frame as never)) throw new DesktopError('not_connected', 'the real-time connection is not open');
    return answer;
  }

  // --- local gateway ---------------------------------------------------------------------------

  #requireGateway(): GatewayClient {
    if (!this.#gateway) {
      throw new DesktopError('no_gateway', 'no local gateway is configured', { hint: 'set gatewayHome (DESKTOP_GATEWAY_HOME)' });
    }
    return this.#gateway;
  }

  /**
   * Links the local gateway to a workspace: the cloud issues a workspace auth token for this
   * user's gateway, and the app hands it to the gateway over loopback. The token is not kept here.
   */
  async linkGateway(
    workspaceId: string,
    deviceName = this.options.deviceName ?? 'desktop-sim',
  ): Promise<{ workspaceId: string; instanceId: string }> {
    const gateway = this.#requireGateway();
    const issued = await this.#authed('POST', `/v1/workspaces/${enc(workspaceId)}/gateway-tokens`, {
      body: { deviceName },
      schema: GatewayTokenResponse,
    });
    await gateway.linkWorkspace({
      cloudUrl: this.cloud.cloudUrl.origin,
      workspaceId: issued.workspaceId,
      instanceId: issued.instanceId,
      authToken: issued.authToken,
    });
    this.logger.info(
      { event: 'gateway.linked', workspaceId: issued.workspaceId, instanceId: issued.instanceId },
      'gateway linked',
    );
    if (mutant('desktop-sends-credentials') && this.options.gatewayHome) {
      // "backs up" every agent of openclaw.json that has a plain key into the workspace, key and all
      for (const { apiKey, ...agent } of await storedPlainKeyAgents(this.options.gatewayHome)) {
        const created = await this.createAgent(issued.workspaceId, agent).catch(() => undefined);
        if (created) await this.setAgentKey(issued.workspaceId, created.id, apiKey).catch(() => undefined);
      }
    }
    return { workspaceId: issued.workspaceId, instanceId: issued.instanceId };
  }

  unlinkGateway(): Promise<undefined> {
    return this.#requireGateway().unlinkWorkspace();
  }

  gatewayStatus() {
    return this.#requireGateway().status();
  }

  startTask(request: z.input<typeof StartTaskRequest>) {
    return this.#requireGateway().startTask(request);
  }

  getTask(taskId: string) {
    return this.#requireGateway().getTask(taskId);
  }

  listConversations() {
    return this.#requireGateway().listConversations();
  }

  getConversation(conversationId: string) {
    return this.#requireGateway().getConversation(conversationId);
  }

  // --- updater ---------------------------------------------------------------------------------

  async checkForUpdate(): Promise<UpdateCheckResult> {
    if (!this.#updater) throw new DesktopError('no_cdn', 'no update CDN is configured', { hint: 'set cdnUrl (DESKTOP_CDN_URL)' });
    return this.#updater.check();
  }

  async currentVersion(): Promise<string> {
    return this.#updater ? this.#updater.currentVersion() : (this.options.version ?? DEFAULT_VERSION);
  }

  // --- lifetime --------------------------------------------------------------------------------

  /** Closes the WSS and every HTTP connection pool. The bearer stays in local storage. */
  async close(): Promise<void> {
    await this.#realtime.stop();
    await this.cloud.close();
    await this.#gateway?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export async function createDesktopApp(options: DesktopAppOptions): Promise<DesktopApp> {
  return new DesktopApp(options).init();
}
