import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import {
  type BackoffOptions,
  backoffDelay,
  type Clock,
  createLogger,
  DEFAULT_BACKOFF,
  LabError,
  type Logger,
  systemClock,
} from '@multiclaw-lab/kit';
import {
  type ConfigSync,
  type Conversation,
  CREDENTIAL_PREFIX,
  deriveInstanceKey,
  type GatewayLinkState,
  type GatewayMode,
  type GatewayStatus,
  HEARTBEAT,
  isSealed,
  type OpenclawAgent,
  ProtocolError,
  seal,
  unseal,
} from '@multiclaw-lab/protocol';
import type { Dispatcher } from 'undici';
import { CloudLink, type HeartbeatOptions, type IncomingFrame } from './cloud-link.ts';
import { ConfigStore, type Workspace } from './config-store.ts';
import { ConversationStore } from './conversations.ts';
import { LlmCallError } from './llm-client.ts';
import { createLocalApi, type LocalApiBackend } from './local-api.ts';
import { SessionTokenVerifier } from './local-auth.ts';
import { mutant } from './mutant.ts';
import { createHttpDispatcher, type TlsTrust } from './network.ts';
import { Outbox } from './outbox.ts';
import { type GatewayPaths, gatewayPaths } from './paths.ts';
import { realTimers, type Scheduler } from './scheduler.ts';
import { noScreenStreamer, type RtcOutgoingFrame, type ScreenStreamer } from './screen-streamer.ts';
import { ensurePrivateDir, writeFileAtomic } from './secure-fs.ts';
import { TaskRunner } from './tasks.ts';

export const GATEWAY_VERSION = '0.1.0';

export interface GatewayOptions {
  /** the HOME whose ~/.openclaw the gateway uses */
  home: string;
  mode: GatewayMode;
  /** local API port on 127.0.0.1; 0 (default) picks a free one */
  localPort?: number;
  clock?: Clock;
  logger?: Logger;
  backoff?: BackoffOptions;
  heartbeat?: HeartbeatOptions;
  /** undici dispatcher for the token endpoint and the LLM provider (default: EnvHttpProxyAgent) */
  dispatcher?: Dispatcher;
  /** CA certificate(s) to trust instead of the process's default store (tests) */
  ca?: string | string[];
  /** daemon mode: the workspace section written into openclaw.json when it has none */
  provision?: Workspace;
  scheduler?: Scheduler;
  /** a streamer, or a factory that gets the linked workspace and the HTTP dispatcher (to fetch TURN credentials) */
  screenStreamer?: ScreenStreamer | ((context: ScreenStreamerContext) => ScreenStreamer);
  llmTimeoutMs?: number;
}

export interface ScreenStreamerContext {
  /** the workspace section of openclaw.json right now (null while unlinked) */
  workspace(): Workspace | null;
  dispatcher: Dispatcher;
}

export interface GatewayHandle extends AsyncDisposable {
  url: string;
  port: number;
  /** the local API session token (also in ~/.openclaw/run/local-api.json) */
  sessionToken: string;
  paths: GatewayPaths;
  status(): GatewayStatus;
  close(): Promise<void>;
}

const CHANNEL_FOR_MODE = { local: 'gateway', daemon: 'daemon' } as const;
const CREDENTIAL_FOR_MODE = { local: CREDENTIAL_PREFIX.gateway, daemon: CREDENTIAL_PREFIX.instance } as const;

/** Starts an OpenClaw gateway: config, outbox, local API on 127.0.0.1, and the cloud link if linked. */
export async function startGateway(options: GatewayOptions): Promise<GatewayHandle> {
  const logger = options.logger ?? createLogger({ service: 'gateway' });
  const clock = options.clock ?? systemClock;
  const paths = gatewayPaths(options.home);
  const trust: TlsTrust = options.ca ? { ca: options.ca } : {};
  const dispatcher = options.dispatcher ?? createHttpDispatcher(trust);
  const mode = options.mode;

  const config = await ConfigStore.open(paths.dir, paths.config, mode);
  if (mode === 'daemon' && config.get().workspace === null && options.provision) {
    await config.update((c) => ({ ...c, workspace: options.provision! }));
    logger.info({
      event: 'workspace.provisioned',
      workspaceId: options.provision.workspaceId,
      instanceId: options.provision.instanceId,
    });
  }
  checkCredentialKind(config.get().workspace, mode, paths.config);
  await ensurePrivateDir(paths.runDir);
  const outbox = await Outbox.open(paths, logger, clock);
  const conversations = await ConversationStore.open(paths.conversations, clock);
  const streamer =
    typeof options.screenStreamer === 'function'
      ? options.screenStreamer({ workspace: () => config.get().workspace, dispatcher })
      : (options.screenStreamer ?? noScreenStreamer);

  let link: CloudLink | undefined;
  let linkState: GatewayLinkState = 'unlinked';
  const transcriptAcked = new Map<string, number>();

  const agentById = (id: string): OpenclawAgent | undefined => config.get().agents.find((a) => a.id === id);
  const apiKey = (agent: OpenclawAgent): string => {
    if (agent.apiKey === null)
      throw new LlmCallError(`agent ${agent.name} has no API key; add one in the agent's settings in MultiClaw Cloud`);
    if (!isSealed(agent.apiKey)) return agent.apiKey;
    const ws = config.get().workspace;
    if (!ws) throw new LlmCallError(`agent ${agent.name} has a synced key but the gateway is not linked to a workspace`);
    try {
      return unseal(agent.apiKey, deriveInstanceKey(ws.authToken, ws.instanceId), ws.instanceId, agent.id);
    } catch {
      throw new LlmCallError(
        `agent ${agent.name}'s synced key does not open with this instance's key; re-sync from MultiClaw Cloud`,
      );
    }
  };

  const tasks = new TaskRunner({
    outbox,
    conversations,
    agent: agentById,
    apiKey,
    dispatcher,
    scheduler: options.scheduler ?? realTimers,
    clock,
    logger,
    llmTimeoutMs: options.llmTimeoutMs ?? 60_000,
  });

  const sendTranscript = (c: Conversation): void => {
    if ((transcriptAcked.get(c.id) ?? -1) >= c.revision) return;
    const messages = mutant('api-key-in-transcript') ? withAgentKey(c) : c.messages;
    link?.send({ type: 'transcript.sync', conversationId: c.id, revision: c.revision, messages });
  };
  /** only the mutant 'api-key-in-transcript': the agent's opened key appended to what is synced */
  const withAgentKey = (c: Conversation): Conversation['messages'] => {
    const agent = agentById(c.agentId);
    let key: string | undefined;
    try {
      key = agent && apiKey(agent);
    } catch {}
    return key ? [...c.messages, { role: 'system', content: `api key: ${key}`, at: c.updatedAt }] : c.messages;
  };
  /** only the mutant 'local-agent-synced': each local-only agent, key and all, rides the transcript sync */
  const sendLocalAgents = (current: CloudLink): void => {
    for (const a of config.get().agents.filter(isLocalOnly)) {
      const at = new Date(clock.now()).toISOString();
      const content = JSON.stringify(a);
      current.send({
        type: 'transcript.sync',
        conversationId: `agent-${a.id}`,
        revision: 0,
        messages: [{ role: 'system', content, at }],
      });
    }
  };
  conversations.onChange((c) => {
    if (linkState === 'connected') sendTranscript(c);
  });

  const applyConfigSync = async (frame: ConfigSync, current: CloudLink): Promise<void> => {
    const ws = config.get().workspace;
    if (!ws || frame.workspaceId !== ws.workspaceId || frame.instanceId !== ws.instanceId) {
      logger.warn({ event: 'config.sync_mismatch', workspaceId: frame.workspaceId, instanceId: frame.instanceId });
      return;
    }
    // The snapshot replaces the synced agents wholesale: an agent or key missing from it is
    // deleted here too. Keys stay `enc:` on disk; they are opened only in memory, per LLM call.
    // Local-only agents (added by hand, plain key) are the user's, unknown to the cloud: kept.
    await config.update((c) => ({
      ...c,
      configVersion: frame.version,
      agents: [
        ...frame.agents.map((a) =>
          mutant('sync-key-sealed-by-gateway') && a.apiKey !== null && !isSealed(a.apiKey)
            ? { ...a, apiKey: seal(a.apiKey, deriveInstanceKey(ws.authToken, ws.instanceId), ws.instanceId, a.id) }
            : { ...a },
        ),
        ...c.agents.filter((a) => isLocalOnly(a) && !frame.agents.some((s) => s.id === a.id)),
      ],
    }));
    current.send({ type: 'config.ack', version: frame.version });
    logger.info({
      event: 'config.synced',
      version: frame.version,
      agents: frame.agents.length,
      keys: frame.agents.filter((a) => a.apiKey !== null).length,
    });
  };

  // The cloud refused the in-flight status without an ack or nack (e.g. `internal`, "retry"):
  // the outbox would wait forever, so it resends after a backoff delay (reset by the next ack).
  let statusRetries = 0;
  let statusRetryTimer: NodeJS.Timeout | undefined;
  const retryStatusLater = (current: CloudLink): void => {
    clearTimeout(statusRetryTimer);
    const delayMs = backoffDelay(statusRetries++, options.backoff ?? DEFAULT_BACKOFF);
    logger.info({ event: 'outbox.retry_scheduled', delayMs });
    statusRetryTimer = setTimeout(() => {
      if (link === current) outbox.resendInFlight().catch(() => undefined);
    }, delayMs);
  };

  const onFrame = (frame: IncomingFrame, current: CloudLink): void => {
    const reply = (f: RtcOutgoingFrame) => current.send(f);
    const work = (async () => {
      switch (frame.type) {
        case 'welcome':
          return logger.info({ event: 'ws.welcome', connectionId: frame.connectionId, expiresAt: frame.expiresAt });
        case 'error':
          logger.warn({ event: 'ws.error_frame', code: frame.code, ref: frame.ref, message: frame.message });
          if (frame.ref === 'task.status') retryStatusLater(current);
          return;
        case 'task.status.ack':
          statusRetries = 0;
          return outbox.ack(frame.taskId, frame.seq);
        case 'task.status.nack':
          return outbox.nack(frame.taskId, frame.expectedSeq);
        case 'transcript.ack':
          transcriptAcked.set(frame.conversationId, Math.max(frame.revision, transcriptAcked.get(frame.conversationId) ?? -1));
          return;
        case 'config.sync':
          return applyConfigSync(frame, current);
        case 'rtc.offer':
          return streamer.offer(frame, reply);
        case 'rtc.candidate':
          return streamer.candidate(frame);
        case 'rtc.close':
          return streamer.close(frame);
      }
    })();
    work.catch((err: unknown) =>
      logger.error({ event: 'ws.frame_failed', type: frame.type, err }, 'handling a cloud frame failed'),
    );
  };

  const startLink = (ws: Workspace): void => {
    const current: CloudLink = new CloudLink({
      cloudUrl: ws.cloudUrl,
      credential: ws.authToken,
      channel: CHANNEL_FOR_MODE[mode],
      dispatcher,
      trust,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      heartbeat: options.heartbeat ?? HEARTBEAT,
      logger,
      onState: (state) => {
        if (link === current) linkState = state;
      },
      onSessionToken: (token) => {
        config.sessionToken = token;
        void config.update((c) => c);
      },
      onOpen: () => {
        outbox.attach((frame) => current.send(frame));
        if (mutant('local-agent-synced')) sendLocalAgents(current);
        conversations
          .list()
          .then((all) => {
            for (const c of all) sendTranscript(c);
          })
          .catch((err: unknown) => logger.error({ event: 'transcript.list_failed', err }));
      },
      onClose: () => outbox.detach(),
      onRevoked: () => {
        if (link === current) linkState = 'revoked';
      },
      onFrame: (frame) => onFrame(frame, current),
    });
    link = current;
    current.start();
  };

  const stopLink = async (): Promise<void> => {
    clearTimeout(statusRetryTimer);
    const current = link;
    link = undefined;
    linkState = 'unlinked';
    outbox.detach();
    await current?.stop();
  };

  const status = (): GatewayStatus => {
    const c = config.get();
    return {
      mode,
      version: GATEWAY_VERSION,
      workspace: {
        linked: c.workspace !== null,
        workspaceId: c.workspace?.workspaceId ?? null,
        instanceId: c.workspace?.instanceId ?? null,
        connected: linkState === 'connected',
        configVersion: c.configVersion,
        state: linkState,
      },
      tasks: { running: tasks.running() },
      outbox: { pending: outbox.pending() },
      agents: c.agents.map((a) => ({ id: a.id, name: a.name, hasKey: a.apiKey !== null })),
    };
  };

  const backend: LocalApiBackend = {
    status,
    async link(request) {
      if (mode === 'daemon')
        throw new ProtocolError('forbidden', 'a daemon is provisioned with its instance token; it cannot be relinked');
      await stopLink();
      const ws: Workspace = {
        cloudUrl: request.cloudUrl,
        workspaceId: request.workspaceId,
        instanceId: request.instanceId,
        authToken: request.authToken,
      };
      await config.update((c) => {
        // Another instance's synced keys cannot open under the new instance key: start clean,
        // keeping only the user's local-only agents (they never came from a workspace).
        const sameInstance = c.workspace?.instanceId === ws.instanceId;
        return { ...c, workspace: ws, ...(sameInstance ? {} : { agents: c.agents.filter(isLocalOnly), configVersion: 0 }) };
      });
      logger.info({ event: 'workspace.linked', workspaceId: ws.workspaceId, instanceId: ws.instanceId });
      startLink(ws);
    },
    async unlink() {
      if (mode === 'daemon')
        throw new ProtocolError('forbidden', 'a daemon is provisioned with its instance token; it cannot be unlinked');
      await stopLink();
      await config.update((c) => ({ ...c, workspace: null }));
      logger.info({ event: 'workspace.unlinked' });
    },
    startTask: (request) => tasks.start(request),
    task: (taskId) => tasks.get(taskId),
    async conversations() {
      const all = await conversations.list();
      return { conversations: all.map((c) => ({ id: c.id, revision: c.revision, updatedAt: c.updatedAt })) };
    },
    conversation: (id) =>
      conversations.get(id).catch((err: unknown) => {
        if (err instanceof ProtocolError) return undefined;
        throw err;
      }),
  };

  const verifier = new SessionTokenVerifier();
  const server = createLocalApi(backend, verifier, logger);
  let port: number;
  let url: string;
  try {
    server.listen(options.localPort ?? 0, mutant('local-api-on-all-interfaces') ? '0.0.0.0' : '127.0.0.1');
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    await writeFileAtomic(paths.localApi, `${JSON.stringify({ url, token: verifier.token, pid: process.pid })}\n`);
  } catch (err) {
    // e.g. the port is taken: release what was opened so the caller can retry cleanly
    server.close();
    await outbox.close();
    throw err;
  }

  const ws = config.get().workspace;
  if (ws) startLink(ws);
  logger.info({ event: 'gateway.started', mode, url, linked: ws !== null, pendingStatuses: outbox.pending() });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      server.close();
      server.closeAllConnections();
      await tasks.close();
      await stopLink();
      await streamer.shutdown?.();
      await outbox.close();
      await rm(paths.localApi, { force: true });
      logger.info({ event: 'gateway.stopped' });
    })();
    return closing;
  };

  return { url, port, sessionToken: verifier.token, paths, status, close, [Symbol.asyncDispose]: close };
}

/**
 * A local-only agent: one the user added to openclaw.json by hand, with the key in plain text
 * (the cloud only ever syncs `enc:` keys or none). Its key is read from the file and sent to
 * its provider only; nothing about it is sent to MultiClaw Cloud.
 */
function isLocalOnly(agent: OpenclawAgent): boolean {
  return agent.apiKey !== null && !isSealed(agent.apiKey);
}

function checkCredentialKind(ws: Workspace | null, mode: GatewayMode, path: string): void {
  if (!ws) return;
  const want = CREDENTIAL_FOR_MODE[mode];
  if (!ws.authToken.startsWith(want)) {
    throw new LabError(
      'GATEWAY_WRONG_CREDENTIAL',
      `refusing to start: ${path} holds a workspace token that is not ${want}… as ${mode} mode needs`,
      {
        hint:
          mode === 'daemon'
            ? 'provision the instance token (mci_) with GATEWAY_INSTANCE_TOKEN'
            : 'link again from the desktop app',
      },
    );
  }
}
