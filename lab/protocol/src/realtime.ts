import { z } from 'zod';
import { type ChannelKind, ChannelKindSchema } from './credentials.ts';
import { ErrorCodeSchema, ProtocolError, parseOrThrow } from './errors.ts';
import { Id, IsoTime, TaskState, TranscriptMessage } from './rest.ts';

/**
 * Real-time frames: one JSON object per WebSocket text message, discriminated by `type`.
 * Each channel kind has its own set in each direction; a frame outside its set is answered
 * with an `error` frame (code malformed_message) and the socket stays open.
 */

const SessionId = z.string().min(8).max(64);
/** A counter the cloud keeps in a PostgreSQL integer column, so at most 2^31 - 1. */
const StoredCounter = z.number().int().max(2_147_483_647);
const Sdp = z.string().min(1).max(64_000);
const Candidate = z.object({
  candidate: z.string().max(2_000),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
});

// --- server → any client --------------------------------------------------------------------

export const Welcome = z.object({
  type: z.literal('welcome'),
  channel: ChannelKindSchema,
  connectionId: Id,
  subject: Id,
  expiresAt: IsoTime,
});
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string(),
  /** the `type` of the frame being refused, when there was one */
  ref: z.string().optional(),
});

// --- task status, transcripts, config sync (gateway and daemon channels) ----------------------

/** gateway → cloud. `seq` starts at 1 per task; the cloud stores each (taskId, seq) once, in order. */
export const TaskStatusFrame = z.object({
  type: z.literal('task.status'),
  taskId: Id,
  seq: StoredCounter.positive(),
  state: TaskState,
  detail: z.string().max(2000),
  at: IsoTime,
});
export type TaskStatusFrame = z.infer<typeof TaskStatusFrame>;
/** cloud → gateway: stored (or already stored: a duplicate is acknowledged, not stored again). */
export const TaskStatusAck = z.object({ type: z.literal('task.status.ack'), taskId: Id, seq: z.number().int().positive() });
/** cloud → gateway: out of order; resend from `expectedSeq`. */
export const TaskStatusNack = z.object({
  type: z.literal('task.status.nack'),
  taskId: Id,
  expectedSeq: z.number().int().positive(),
});

/** gateway → cloud: a whole conversation at a revision; the cloud keeps the highest revision. */
export const TranscriptSync = z.object({
  type: z.literal('transcript.sync'),
  conversationId: Id,
  revision: StoredCounter.nonnegative(),
  messages: z.array(TranscriptMessage).max(10_000),
});
export const TranscriptAck = z.object({ type: z.literal('transcript.ack'), conversationId: Id, revision: z.number().int() });

/** One agent as synced to an instance. `apiKey` is `enc:...` (see sealed.ts) or null if none is set. */
export const SyncedAgent = z.object({
  id: Id,
  name: z.string(),
  provider: z.string(),
  model: z.string(),
  baseUrl: z.string(),
  apiKey: z.string().startsWith('enc:').nullable(),
});
export type SyncedAgent = z.infer<typeof SyncedAgent>;
/**
 * cloud → gateway/daemon: the whole configuration at `version`. It replaces what the instance
 * had: an agent or key missing here is deleted from the instance. (A local-only agent the user
 * typed into openclaw.json, with a plain key, is not the workspace's: the gateway keeps it.)
 */
export const ConfigSync = z.object({
  type: z.literal('config.sync'),
  version: z.number().int().nonnegative(),
  workspaceId: Id,
  instanceId: Id,
  agents: z.array(SyncedAgent),
});
export type ConfigSync = z.infer<typeof ConfigSync>;
export const ConfigAck = z.object({ type: z.literal('config.ack'), version: StoredCounter.nonnegative() });

// --- server → user: real-time events ---------------------------------------------------------

/** A task status stored for the user's workspace, relayed to its members' desktop apps. */
export const TaskEvent = z.object({
  type: z.literal('event.task'),
  workspaceId: Id,
  status: TaskStatusFrame.omit({ type: true }).extend({ instanceId: Id }),
});

// --- WebRTC signalling (user ↔ cloud ↔ daemon) --------------------------------------------------

/** viewer → cloud: open a viewing session to a cloud desktop (instance) it may view. */
export const RtcOffer = z.object({ type: z.literal('rtc.offer'), sessionId: SessionId, instanceId: Id, sdp: Sdp });
/** cloud → daemon: an offer from an authorised viewer. */
export const RtcOfferRelayed = z.object({
  type: z.literal('rtc.offer'),
  sessionId: SessionId,
  viewerUserId: Id,
  sdp: Sdp,
});
/** daemon → cloud → viewer */
export const RtcAnswer = z.object({ type: z.literal('rtc.answer'), sessionId: SessionId, sdp: Sdp });
/** either way; the cloud forwards only between the two sockets that own the session. */
export const RtcCandidate = z.object({ type: z.literal('rtc.candidate'), sessionId: SessionId, candidate: Candidate });
export const RtcClose = z.object({ type: z.literal('rtc.close'), sessionId: SessionId, reason: z.string().max(200) });

// --- the sets, per channel and direction --------------------------------------------------------

export const UserClientFrame = z.discriminatedUnion('type', [RtcOffer, RtcCandidate, RtcClose]);
export const UserServerFrame = z.discriminatedUnion('type', [Welcome, ErrorFrame, TaskEvent, RtcAnswer, RtcCandidate, RtcClose]);

export const GatewayClientFrame = z.discriminatedUnion('type', [TaskStatusFrame, TranscriptSync, ConfigAck]);
export const GatewayServerFrame = z.discriminatedUnion('type', [
  Welcome,
  ErrorFrame,
  TaskStatusAck,
  TaskStatusNack,
  TranscriptAck,
  ConfigSync,
]);

export const DaemonClientFrame = z.discriminatedUnion('type', [
  TaskStatusFrame,
  TranscriptSync,
  ConfigAck,
  RtcAnswer,
  RtcCandidate,
  RtcClose,
]);
export const DaemonServerFrame = z.discriminatedUnion('type', [
  Welcome,
  ErrorFrame,
  TaskStatusAck,
  TaskStatusNack,
  TranscriptAck,
  ConfigSync,
  RtcOfferRelayed,
  RtcCandidate,
  RtcClose,
]);

export type UserClientFrame = z.infer<typeof UserClientFrame>;
export type UserServerFrame = z.infer<typeof UserServerFrame>;
export type GatewayClientFrame = z.infer<typeof GatewayClientFrame>;
export type GatewayServerFrame = z.infer<typeof GatewayServerFrame>;
export type DaemonClientFrame = z.infer<typeof DaemonClientFrame>;
export type DaemonServerFrame = z.infer<typeof DaemonServerFrame>;

export type ClientFrame<C extends ChannelKind> = C extends 'user'
  ? UserClientFrame
  : C extends 'gateway'
    ? GatewayClientFrame
    : DaemonClientFrame;
export type ServerFrame<C extends ChannelKind> = C extends 'user'
  ? UserServerFrame
  : C extends 'gateway'
    ? GatewayServerFrame
    : DaemonServerFrame;

const CLIENT_FRAMES = { user: UserClientFrame, gateway: GatewayClientFrame, daemon: DaemonClientFrame } as const;
const SERVER_FRAMES = { user: UserServerFrame, gateway: GatewayServerFrame, daemon: DaemonServerFrame } as const;

/** Largest frame either side accepts; bigger ones are refused by ws itself (maxPayload). */
export const MAX_FRAME_BYTES = 1024 * 1024;

function decodeJson(raw: string | Buffer | ArrayBuffer | Buffer[]): unknown {
  const text = Array.isArray(raw)
    ? Buffer.concat(raw).toString('utf8')
    : typeof raw === 'string'
      ? raw
      : Buffer.from(raw as ArrayBuffer).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError('malformed_message', 'invalid message: not JSON');
  }
}

/** Parses a frame a client sent on channel `channel`; throws ProtocolError('malformed_message'). */
export function parseClientFrame<C extends ChannelKind>(
  channel: C,
  raw: string | Buffer | ArrayBuffer | Buffer[],
): ClientFrame<C> {
  return parseOrThrow(CLIENT_FRAMES[channel], decodeJson(raw), 'malformed_message') as ClientFrame<C>;
}

/** Parses a frame the server sent on channel `channel`; throws ProtocolError('malformed_message'). */
export function parseServerFrame<C extends ChannelKind>(
  channel: C,
  raw: string | Buffer | ArrayBuffer | Buffer[],
): ServerFrame<C> {
  return parseOrThrow(SERVER_FRAMES[channel], decodeJson(raw), 'malformed_message') as ServerFrame<C>;
}
