/**
 * The desktop simulator's serve-mode commands as data: for each command its name, the arguments
 * it takes and the result it answers with. The simulator implements exactly these commands
 * (lab/desktop-sim/src/commands.ts) and checks arguments with these schemas; the harness's driver
 * (lab/core/src/desktop-driver.ts) is typed by them and checks every result against them. Where a
 * command passes on an answer of the cloud or of the local gateway, the result is that API's schema.
 *
 * The wire: one command per stdin line (`DesktopCommandLine`), answered by one JSON log line on
 * stdout (`DesktopResultLine`), matched by `id`; commands run concurrently.
 */
import { z } from 'zod';
import {
  ConversationList,
  Conversation as GatewayConversation,
  GatewayStatus,
  StartTaskRequest,
  StartTaskResponse,
  TaskView,
} from './gateway-api.ts';
import {
  AgentsResponse,
  AgentView,
  GatewayTokenResponse,
  InstancesResponse,
  InvitationsResponse,
  InvitationView,
  MembersResponse,
  MeResponse,
  Role,
  TaskStatusesResponse,
  TranscriptResponse,
  UserView,
  WorkspaceView,
} from './rest.ts';

/** One entry of the table, as written; `defineDesktopCommands` adds the name. */
export interface DesktopCommandInput {
  summary: string;
  /** what `args` must be; validated by the simulator before anything runs */
  args: z.ZodType;
  /** what the answer's `result` is, after JSON */
  result: z.ZodType;
}

export interface DesktopCommand extends DesktopCommandInput {
  name: string;
}

/** Names each entry of the table by its key. */
function defineDesktopCommands<const T extends Record<string, DesktopCommandInput>>(
  table: T,
): { [K in keyof T & string]: T[K] & { name: K } } {
  return Object.fromEntries(Object.entries(table).map(([name, entry]) => [name, { ...entry, name }])) as {
    [K in keyof T & string]: T[K] & { name: K };
  };
}

// --- shapes the commands share --------------------------------------------------------------

const none = z.object({}).strict();
const wid = z.string().min(1);

/** The answer of a command that only acknowledges (the cloud or the gateway said 204). */
export const DesktopDone = z.object({}).strict();

export const DESKTOP_STATES = ['signed-out', 'signed-in', 'connecting', 'connected', 'reconnecting'] as const;
export const DesktopStateSchema = z.enum(DESKTOP_STATES);

export const DesktopStatusResult = z.object({
  state: DesktopStateSchema,
  signedIn: z.boolean(),
  user: UserView.nullable(),
  /** the version that runs: the built one, or a newer one the updater installed */
  version: z.string(),
});

/** Why the updater refused a release: a minisign verification failure or the manifest's shape. */
export const UpdateRejectionCode = z.enum([
  'malformed_key',
  'malformed_signature',
  'key_mismatch',
  'bad_signature',
  'bad_global_signature',
  'unsupported_algorithm',
  'missing_signature',
  'no_platform',
  'malformed_manifest',
  'too_large',
]);

export const UpdateCheckResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('up-to-date'), currentVersion: z.string(), latestVersion: z.string() }),
  z.object({
    status: z.literal('installed'),
    previousVersion: z.string(),
    version: z.string(),
    /** where the verified file was written, under the profile */
    file: z.string(),
    sha256: z.string(),
    keyId: z.string(),
  }),
  z.object({
    status: z.literal('rejected'),
    currentVersion: z.string(),
    version: z.string().nullable(),
    code: UpdateRejectionCode,
    reason: z.string(),
  }),
]);

const ViewAttempt = z.enum(['direct', 'relay']);

/** What one cloud-desktop viewing session (`viewDesktop`) saw. Absent fields were not known. */
export const ViewDesktopResult = z.object({
  sessionId: z.string(),
  mode: z.enum(['auto', 'turn-relay']),
  /** from the first offer to the open DataChannel (in `auto`, a failed direct attempt included) */
  connectMs: z.number(),
  /** which attempt connected: direct (STUN only) or relay (TURN) */
  attempt: ViewAttempt,
  /** the sessions tried before the one that connected */
  failedAttempts: z.array(z.object({ sessionId: z.string(), attempt: ViewAttempt, code: z.string() })),
  /** ms from the offer to the first frame */
  firstFrameMs: z.number().optional(),
  /** the selected ICE candidate pair, when werift reported one */
  pair: z
    .object({
      /** candidate types: host | srflx | prflx | relay */
      local: z.string().optional(),
      remote: z.string().optional(),
      /** how the viewer reaches its TURN server when `local` is relay */
      relayTransport: z.enum(['udp', 'tcp', 'tls']).optional(),
      localCandidate: z.string(),
      remoteCandidate: z.string(),
    })
    .optional(),
  frames: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** sha256 hex of the first `frames` frames asked for, in arrival order */
  sha256: z.array(z.string()),
  framesPerSecond: z.number().optional(),
});

/** The cloud's `error` frame answering an injected signalling frame, or `answered: false`. */
export const SendSignalResult = z.object({
  answered: z.boolean(),
  code: z.string().optional(),
  message: z.string().optional(),
});

// --- the table --------------------------------------------------------------------------------

export const DESKTOP_COMMANDS = defineDesktopCommands({
  status: {
    summary: 'Signed-in state, connection state, user and running version',
    args: none,
    result: DesktopStatusResult,
  },
  signIn: {
    summary: 'Sign in; the bearer stays in local storage',
    args: z.object({ email: z.string(), password: z.string() }),
    result: z.object({ user: UserView }),
  },
  signOut: {
    summary: 'Close the WSS, ask the cloud to revoke the bearer, forget it locally either way',
    args: none,
    result: z.object({ revokedByCloud: z.boolean() }),
  },
  changePassword: {
    summary: 'Change the password (the cloud revokes every bearer of the user)',
    args: z.object({ currentPassword: z.string(), newPassword: z.string() }),
    result: DesktopDone,
  },
  me: { summary: 'The signed-in user and their workspaces', args: none, result: MeResponse },
  connect: {
    summary: 'Open the real-time WSS; answers once the cloud has welcomed it',
    args: none,
    result: z.object({ connectionId: z.string() }),
  },
  disconnect: {
    summary: 'Close the WSS without reconnecting; the app stays signed in',
    args: none,
    result: z.object({ state: DesktopStateSchema }),
  },
  createWorkspace: { summary: 'Create a workspace', args: z.object({ name: z.string() }), result: WorkspaceView },
  listMembers: { summary: "A workspace's members", args: z.object({ workspaceId: wid }), result: MembersResponse },
  inviteMember: {
    summary: 'Invite an existing account to a workspace (a member once they accept)',
    args: z.object({ workspaceId: wid, email: z.string(), role: Role.default('member') }),
    result: InvitationView,
  },
  listInvitations: { summary: 'The invitations waiting for this user', args: none, result: InvitationsResponse },
  acceptInvitation: {
    summary: 'Accept an invitation addressed to this user',
    args: z.object({ invitationId: z.string().min(1) }),
    result: WorkspaceView,
  },
  removeMember: {
    summary: 'Remove a member (revokes every token of theirs)',
    args: z.object({ workspaceId: wid, userId: z.string().min(1) }),
    result: DesktopDone,
  },
  forceSignOut: {
    summary: 'Revoke every bearer of a member (forced sign-out)',
    args: z.object({ workspaceId: wid, userId: z.string().min(1) }),
    result: DesktopDone,
  },
  createAgent: {
    summary: 'Create an agent',
    args: z.object({ workspaceId: wid, name: z.string(), provider: z.string(), model: z.string(), baseUrl: z.string() }),
    result: AgentView,
  },
  listAgents: { summary: "A workspace's agents", args: z.object({ workspaceId: wid }), result: AgentsResponse },
  setAgentKey: {
    summary: "Set or rotate an agent's LLM key",
    args: z.object({ workspaceId: wid, agentId: z.string().min(1), apiKey: z.string() }),
    result: AgentView,
  },
  deleteAgentKey: {
    summary: "Remove an agent's LLM key",
    args: z.object({ workspaceId: wid, agentId: z.string().min(1) }),
    result: AgentView,
  },
  listInstances: { summary: "A workspace's instances", args: z.object({ workspaceId: wid }), result: InstancesResponse },
  grantViewer: {
    summary: 'Let a member view a cloud desktop',
    args: z.object({ workspaceId: wid, instanceId: z.string().min(1), userId: z.string().min(1) }),
    result: DesktopDone,
  },
  taskStatuses: {
    summary: "A task's statuses as the cloud stored them",
    args: z.object({ workspaceId: wid, taskId: z.string().min(1) }),
    result: TaskStatusesResponse,
  },
  transcript: {
    summary: "A conversation's transcript as the cloud stored it",
    args: z.object({ workspaceId: wid, conversationId: z.string().min(1) }),
    result: TranscriptResponse,
  },
  linkGateway: {
    summary: 'Link the local gateway to a workspace (the token goes to the gateway, not into the answer)',
    args: z.object({ workspaceId: wid, deviceName: z.string().min(1).optional() }),
    result: GatewayTokenResponse.pick({ workspaceId: true, instanceId: true }),
  },
  unlinkGateway: { summary: 'Unlink the local gateway', args: none, result: DesktopDone },
  gatewayStatus: { summary: "The local gateway's status", args: none, result: GatewayStatus },
  startTask: { summary: 'Start a task on the local gateway', args: StartTaskRequest, result: StartTaskResponse },
  getTask: {
    summary: 'A task as the local gateway sees it',
    args: z.object({ taskId: z.string().min(1) }),
    result: TaskView,
  },
  listConversations: { summary: "The local gateway's conversations", args: none, result: ConversationList },
  getConversation: {
    summary: 'One conversation from the local gateway',
    args: z.object({ conversationId: z.string().min(1) }),
    result: GatewayConversation,
  },
  checkForUpdate: {
    summary: 'Check the CDN; verify and install a newer signed version',
    args: none,
    result: UpdateCheckResult,
  },
  viewDesktop: {
    summary:
      'View a cloud desktop over WebRTC: connect, wait for `frames` frames, send one input event, close, report (for the harness; the real app keeps drawing)',
    args: z
      .object({
        instanceId: z.string().min(1),
        mode: z.enum(['auto', 'turn-relay']).default('auto'),
        frames: z.number().int().min(1).max(1000).default(10),
        timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
        /** mode auto: the bound of the direct attempt before the relay is tried */
        directTimeoutMs: z.number().int().min(100).max(300_000).optional(),
      })
      .strict(),
    result: ViewDesktopResult,
  },
  sendSignal: {
    summary: 'Test hook: one raw signalling frame over the user WSS (candidate-injection scenarios)',
    args: z
      .object({
        frame: z.object({ type: z.string().regex(/^rtc\./) }).passthrough(),
        waitMs: z.number().int().min(100).max(10_000).default(3_000),
      })
      .strict(),
    result: SendSignalResult,
  },
  crash: {
    summary: 'Test hook: throw an uncaught error on the next event-loop turn, as a bug would',
    args: z.object({ message: z.string().max(500).default('simulated crash (test hook)') }).strict(),
    result: z.object({ crashing: z.literal(true) }),
  },
});

export type DesktopCommandName = keyof typeof DESKTOP_COMMANDS;

/** The table as a list, in table order. */
export const DESKTOP_COMMAND_LIST: readonly DesktopCommand[] = Object.values(DESKTOP_COMMANDS);

export function isDesktopCommandName(name: string): name is DesktopCommandName {
  return Object.hasOwn(DESKTOP_COMMANDS, name);
}

/** What a caller sends as `args` (before defaults are applied). */
export type DesktopCommandArgs<K extends DesktopCommandName> = z.input<(typeof DESKTOP_COMMANDS)[K]['args']>;
/** `args` as the simulator sees them after validation (defaults applied). */
export type DesktopCommandParsedArgs<K extends DesktopCommandName> = z.output<(typeof DESKTOP_COMMANDS)[K]['args']>;
/** What a command's implementation may return (the result schema's input side). */
export type DesktopCommandResultInput<K extends DesktopCommandName> = z.input<(typeof DESKTOP_COMMANDS)[K]['result']>;
/** The `result` a caller receives, after JSON and validation. */
export type DesktopCommandResult<K extends DesktopCommandName> = z.output<(typeof DESKTOP_COMMANDS)[K]['result']>;

// --- the wire ---------------------------------------------------------------------------------

export const DesktopCommandId = z.union([z.string().max(200), z.number()]);

/** One stdin line: `{"id": "1", "cmd": "signIn", "args": {...}}`; `cmd` may also be `shutdown`. */
export const DesktopCommandLine = z.object({
  id: DesktopCommandId,
  cmd: z.string().max(100),
  args: z.unknown().optional(),
});
export type DesktopCommandLine = z.infer<typeof DesktopCommandLine>;

/** Why a command failed: the app's or the cloud's stable code, and what it said. */
export const DesktopCommandErrorView = z.looseObject({
  code: z.string(),
  message: z.string(),
  /** HTTP status, when a service answered with an error */
  status: z.number().optional(),
  service: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/**
 * The stdout line answering a command. It is a log line, so it carries the logger's fields as
 * well. `id` is null when the command line could not be read far enough to find one.
 */
export const DesktopResultLine = z.discriminatedUnion('ok', [
  z.looseObject({
    event: z.literal('result'),
    id: DesktopCommandId.nullable(),
    cmd: z.string().optional(),
    ok: z.literal(true),
    result: z.unknown(),
  }),
  z.looseObject({
    event: z.literal('result'),
    id: DesktopCommandId.nullable(),
    cmd: z.string().optional(),
    ok: z.literal(false),
    error: DesktopCommandErrorView,
  }),
]);
export type DesktopResultLine = z.infer<typeof DesktopResultLine>;
