import { z } from 'zod';
import { Id, IsoTime, TaskState, TranscriptMessage } from './rest.ts';

/**
 * The local OpenClaw gateway's HTTP API, bound to 127.0.0.1 only. Every request carries
 * `Authorization: Bearer <session token>`; the token is made at gateway start and handed to
 * the desktop app through LOCAL_API_FILE (user-only). Anything else gets 401 unauthenticated.
 */

/** Relative to the gateway's HOME: `~/.openclaw/run/local-api.json`, mode 0600 in a 0700 folder. */
export const LOCAL_API_FILE = '.openclaw/run/local-api.json';
export const LocalApiFile = z.object({ url: z.url(), token: z.string().min(32), pid: z.number().int() });
export type LocalApiFile = z.infer<typeof LocalApiFile>;

export const GatewayMode = z.enum(['local', 'daemon']);
export type GatewayMode = z.infer<typeof GatewayMode>;

/**
 * Where the gateway's cloud link stands. `revoked`: the cloud refused the long-lived credential
 * (close 4003 or 401 when minting); the gateway stopped reconnecting until it is linked again.
 */
export const GatewayLinkState = z.enum(['unlinked', 'connecting', 'connected', 'offline', 'revoked']);
export type GatewayLinkState = z.infer<typeof GatewayLinkState>;

/** GET /v1/status */
export const GatewayStatus = z.object({
  mode: GatewayMode,
  version: z.string(),
  workspace: z.object({
    linked: z.boolean(),
    workspaceId: Id.nullable(),
    instanceId: Id.nullable(),
    connected: z.boolean(),
    configVersion: z.number().int().nonnegative(),
    /** added for the gateway's revoked state; optional so older readers and writers still parse */
    state: GatewayLinkState.optional(),
  }),
  tasks: z.object({ running: z.number().int().nonnegative() }),
  outbox: z.object({ pending: z.number().int().nonnegative() }),
  agents: z.array(z.object({ id: Id, name: z.string(), hasKey: z.boolean() })),
});
export type GatewayStatus = z.infer<typeof GatewayStatus>;

/**
 * PUT /v1/workspace → 204: link this gateway to a workspace (the desktop app passes the
 * workspace auth token it obtained from the cloud). Written to openclaw.json; connects at once.
 * DELETE /v1/workspace → 204: unlink; the token is removed from openclaw.json.
 */
export const LinkWorkspaceRequest = z.object({
  cloudUrl: z.url({ protocol: /^https$/ }),
  workspaceId: Id,
  instanceId: Id,
  authToken: z.string().startsWith('mcg_'),
});

/**
 * POST /v1/tasks → 202: start a task. It runs `steps` steps of `stepMs` each (a stand-in for
 * agent work), calls the agent's LLM provider once, and records the exchange as a
 * conversation. Each state change is a status update queued for the cloud.
 */
export const StartTaskRequest = z.object({
  agentId: Id,
  prompt: z.string().min(1).max(10_000),
  steps: z.number().int().min(0).max(1000).default(3),
  stepMs: z.number().int().min(0).max(60_000).default(100),
  conversationId: Id.optional(),
});
export const StartTaskResponse = z.object({ taskId: Id, conversationId: Id });

/** GET /v1/tasks/:tid */
export const TaskView = z.object({
  taskId: Id,
  agentId: Id,
  conversationId: Id,
  state: TaskState,
  statuses: z.array(z.object({ seq: z.number().int(), state: TaskState, detail: z.string(), at: IsoTime })),
});

/** GET /v1/conversations */
export const ConversationList = z.object({
  conversations: z.array(z.object({ id: Id, revision: z.number().int(), updatedAt: IsoTime })),
});

/** `~/.openclaw/conversations/<id>.json` and GET /v1/conversations/:cid: plain JSON. */
export const Conversation = z.object({
  id: Id,
  agentId: Id,
  revision: z.number().int().nonnegative(),
  updatedAt: IsoTime,
  messages: z.array(TranscriptMessage),
});
export type Conversation = z.infer<typeof Conversation>;
