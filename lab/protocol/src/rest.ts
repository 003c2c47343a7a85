/**
 * MultiClaw Cloud REST API (`https://api.multiclaw.test/v1/...`), one HTTPS port shared with
 * the WSS endpoints. Authentication: `Authorization: Bearer <credential>`; which credential
 * kind each route takes is given beside it, and exactly in the route table (routes.ts), which
 * uses these schemas. Every non-2xx answer is an ErrorBody.
 */
import { z } from 'zod';
import { ChannelKindSchema } from './credentials.ts';

export const Id = z.string().min(1).max(64);
export const Email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
export const Password = z.string().min(8).max(256);
export const Role = z.enum(['owner', 'member']);
export type Role = z.infer<typeof Role>;
export const IsoTime = z.iso.datetime();

// --- accounts --------------------------------------------------------------------------

/** POST /v1/auth/sign-up (no auth): creates an account; it belongs to no workspace yet. */
export const SignUpRequest = z.object({ email: Email, password: Password, name: z.string().min(1).max(100) });
export const UserView = z.object({ id: Id, email: z.string(), name: z.string() });
export type UserView = z.infer<typeof UserView>;
export const SignUpResponse = z.object({ user: UserView });

/** POST /v1/auth/sign-in (no auth) → 200, 401 invalid_credentials, 423 account_locked. */
export const SignInRequest = z.object({ email: Email, password: z.string().min(1).max(256) });
export const SignInResponse = z.object({ bearer: z.string(), user: UserView });

/** POST /v1/auth/sign-out (bearer) → 204: revokes this bearer and closes its sockets. */
/** POST /v1/auth/password (bearer) → 204: revokes every bearer of the user (all devices). */
export const ChangePasswordRequest = z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password });

/** GET /v1/me (bearer) */
export const MeResponse = z.object({
  user: UserView,
  workspaces: z.array(z.object({ id: Id, name: z.string(), role: Role })),
});

// --- workspaces and members ---------------------------------------------------------------

/** POST /v1/workspaces (bearer): the caller becomes its Owner. */
export const CreateWorkspaceRequest = z.object({ name: z.string().min(1).max(100) });
export const WorkspaceView = z.object({ id: Id, name: z.string(), role: Role });
export type WorkspaceView = z.infer<typeof WorkspaceView>;

/** GET /v1/workspaces/:wid/members (bearer, any member) */
export const MemberView = z.object({ userId: Id, email: z.string(), name: z.string(), role: Role });
export const MembersResponse = z.object({ members: z.array(MemberView) });

/**
 * POST /v1/workspaces/:wid/invitations (bearer, owner): invites an existing account. Nobody
 * becomes a member without saying yes: until the invitee accepts, the inviter can neither remove
 * nor sign out that user (which would revoke every token of theirs on every device).
 */
export const InviteMemberRequest = z.object({ email: Email, role: Role });
export const InvitationView = z.object({
  id: Id,
  workspaceId: Id,
  workspaceName: z.string(),
  email: z.string(),
  role: Role,
  status: z.enum(['pending', 'accepted']),
});
export type InvitationView = z.infer<typeof InvitationView>;
/** GET /v1/invitations (bearer): the invitations addressed to the caller that wait for an answer. */
export const InvitationsResponse = z.object({ invitations: z.array(InvitationView) });
/** POST /v1/invitations/:vid/accept (bearer, the invitee only) → the workspace, now with the caller as a member. */

/**
 * DELETE /v1/workspaces/:wid/members/:uid (bearer, owner) → 204. Revokes every token of that
 * user on every device (bearers, gateway tokens, their WSS tokens) and closes the user's open
 * sockets at once. There is no per-device revocation.
 */
/** POST /v1/workspaces/:wid/members/:uid/sign-out (bearer, owner) → 204: forced sign-out (bearers). */

// --- gateway workspace auth tokens -------------------------------------------------------

/**
 * POST /v1/workspaces/:wid/gateway-tokens (bearer, any member): a long-lived workspace auth
 * token for the caller's local gateway, scoped to the caller. It also registers the gateway
 * as an instance, whose id keys config sync.
 */
export const CreateGatewayTokenRequest = z.object({ deviceName: z.string().min(1).max(100) });
export const GatewayTokenResponse = z.object({ instanceId: Id, workspaceId: Id, authToken: z.string() });

// --- instances (cloud desktops) ------------------------------------------------------------

/** POST /v1/workspaces/:wid/instances (bearer, owner): a cloud desktop and its instance token. */
export const CreateInstanceRequest = z.object({ name: z.string().min(1).max(100) });
export const InstanceView = z.object({
  id: Id,
  workspaceId: Id,
  name: z.string(),
  kind: z.enum(['gateway', 'cloud-desktop']),
  userId: Id.nullable(),
  connected: z.boolean(),
  configVersion: z.number().int().nonnegative(),
});
export const CreateInstanceResponse = z.object({ instance: InstanceView, instanceToken: z.string() });
/** GET /v1/workspaces/:wid/instances (bearer, any member) */
export const InstancesResponse = z.object({ instances: z.array(InstanceView) });
/** PUT /v1/workspaces/:wid/instances/:iid/viewers/:uid (bearer, owner) → 204: may view this desktop. */
/** DELETE /v1/workspaces/:wid/instances/:iid/viewers/:uid (bearer, owner) → 204 */

// --- agents and their LLM keys ------------------------------------------------------------

/** POST /v1/workspaces/:wid/agents (bearer, owner) */
export const CreateAgentRequest = z.object({
  name: z.string().min(1).max(100),
  provider: z.string().min(1).max(50),
  model: z.string().min(1).max(100),
  /** base URL of the provider's OpenAI-style API, e.g. https://api.llm.test/v1 */
  baseUrl: z.url({ protocol: /^https$/ }),
});
/** Agent as any member sees it: never the key, only whether one is set and its fingerprint. */
export const AgentView = z.object({
  id: Id,
  workspaceId: Id,
  name: z.string(),
  provider: z.string(),
  model: z.string(),
  baseUrl: z.string(),
  key: z.object({ set: z.boolean(), fingerprint: z.string().nullable(), updatedAt: IsoTime.nullable() }),
});
export type AgentView = z.infer<typeof AgentView>;
export const AgentsResponse = z.object({ agents: z.array(AgentView) });
/**
 * PUT /v1/workspaces/:wid/agents/:aid/key (bearer, owner) → 200 AgentView: sets or rotates
 * the key; reaches connected instances on the next config push (immediately after this call).
 * DELETE same → 200 AgentView: removes it; every synced instance deletes its `enc:` copy.
 */
export const SetAgentKeyRequest = z.object({ apiKey: z.string().min(8).max(512) });
/**
 * PATCH /v1/workspaces/:wid/agents/:aid (bearer, owner) → 200 AgentView: changes the agent's
 * provider, model and/or base URL (e.g. after switching providers); connected instances get
 * the change on the next config push (immediately after this call). At least one field.
 */
export const UpdateAgentRequest = z
  .object({
    provider: CreateAgentRequest.shape.provider.optional(),
    model: CreateAgentRequest.shape.model.optional(),
    baseUrl: CreateAgentRequest.shape.baseUrl.optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'give at least one of provider, model, baseUrl' });
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

// --- tasks and transcripts (read side; written by gateways over WSS) ---------------------

export const TASK_STATES = ['queued', 'running', 'step', 'llm', 'completed', 'failed', 'interrupted'] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

export const TaskStatusRecord = z.object({
  taskId: Id,
  seq: z.number().int().positive(),
  state: TaskState,
  detail: z.string().max(2000),
  at: IsoTime,
  instanceId: Id,
  receivedAt: IsoTime,
});
/** GET /v1/workspaces/:wid/tasks/:tid/statuses (bearer, any member) → statuses in seq order */
export const TaskStatusesResponse = z.object({ statuses: z.array(TaskStatusRecord) });

export const TranscriptMessage = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.string().max(100_000),
  at: IsoTime,
});
export type TranscriptMessage = z.infer<typeof TranscriptMessage>;
/** GET /v1/workspaces/:wid/transcripts/:cid (bearer, any member) */
export const TranscriptResponse = z.object({
  conversationId: Id,
  instanceId: Id,
  revision: z.number().int().nonnegative(),
  messages: z.array(TranscriptMessage),
});

// --- real-time tokens and TURN -----------------------------------------------------------

/**
 * POST /v1/realtime/token: mints a WSS token for one channel kind. The credential decides
 * what may be asked for: bearer → user, gateway token → gateway, instance token → daemon.
 */
export const RealtimeTokenRequest = z.object({ channel: ChannelKindSchema });
export const RealtimeTokenResponse = z.object({
  token: z.string(),
  channel: ChannelKindSchema,
  expiresAt: IsoTime,
  /** path to open with wss:// on the same host */
  path: z.string(),
});

/**
 * GET /v1/turn/credentials (bearer or instance token): coturn's time-limited shared-secret
 * form (username `<unix expiry>:<subject>`, credential base64(HMAC-SHA1(secret, username))).
 */
export const TurnCredentialsResponse = z.object({
  urls: z.array(z.string()),
  username: z.string(),
  credential: z.string(),
  ttlSeconds: z.number().int().positive(),
  expiresAt: IsoTime,
});

/** GET /healthz (no auth) */
export const HealthResponse = z.object({ status: z.literal('ok'), version: z.string() });

/** GET /v1/openapi.json (no auth): this API described as OpenAPI 3.1, generated from the route table. */
export const OpenApiDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;
