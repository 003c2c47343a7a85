import { type ClientFrame, ProtocolError, parseClientFrame } from '@multiclaw-lab/protocol';
import { type Ctx, nowDate } from '../context.ts';
import { recordConfigAck } from '../db/instances.ts';
import { storeTaskStatus, storeTranscript } from '../db/records.ts';
import { inTransaction } from '../db/tx.ts';
import { memberIds } from '../db/workspaces.ts';
import { mutant } from '../mutant.ts';
import type { Session } from './hub.ts';

type RawData = Buffer | ArrayBuffer | Buffer[];

const rawText = (raw: RawData): string =>
  Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8');

/** The `type` of a frame, if it is JSON with one, for the `ref` of an error frame. */
function typeOf(raw: RawData): string | undefined {
  try {
    const text = rawText(raw);
    const type = (JSON.parse(text) as { type?: unknown })?.type;
    return typeof type === 'string' ? type.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

/** True if any string in a parsed frame is not well-formed UTF-16. */
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (value && typeof value === 'object') return Object.values(value).some(hasLoneSurrogate);
  return false;
}

/** Handles one frame of an open session. Never throws: a bad frame gets an `error` frame and the socket stays open. */
export async function handleFrame(ctx: Ctx, session: Session, raw: RawData): Promise<void> {
  if (ctx.hub.get(session.id) !== session) return; // closing: nothing more is accepted
  let frame: ClientFrame<typeof session.channel>;
  try {
    const text = rawText(raw);
    // PostgreSQL text cannot hold NUL; refuse it here rather than fail at the database.
    if (text.includes('\\u0000') || text.includes('\u0000'))
      throw new ProtocolError('malformed_message', 'invalid message: NUL in text');
    frame = parseClientFrame(session.channel, text);
    // Nor can jsonb hold a lone UTF-16 surrogate (a `\ud800` escape without its pair).
    if (hasLoneSurrogate(frame)) throw new ProtocolError('malformed_message', 'invalid message: lone surrogate in text');
  } catch (err) {
    const message = err instanceof ProtocolError ? err.message : 'invalid message';
    const ref = typeOf(raw);
    ctx.logger.info({ event: 'ws.malformed', connectionId: session.id, channel: session.channel, ref }, 'malformed frame');
    ctx.hub.send(session, { type: 'error', code: 'malformed_message', message, ...(ref ? { ref } : {}) });
    return;
  }
  try {
    await dispatch(ctx, session, frame);
  } catch (err) {
    ctx.logger.error({ event: 'ws.frame_failed', connectionId: session.id, ref: frame.type, err }, 'frame handling failed');
    ctx.hub.send(session, { type: 'error', code: 'internal', message: `could not handle ${frame.type}; retry`, ref: frame.type });
  }
}

async function dispatch(ctx: Ctx, session: Session, frame: ClientFrame<Session['channel']>): Promise<void> {
  switch (frame.type) {
    case 'task.status':
      return taskStatus(ctx, session, frame);
    case 'transcript.sync': {
      if (!mutant('transcripts-not-synced'))
        await storeTranscript(ctx.db, {
          workspaceId: session.workspaceId!,
          conversationId: frame.conversationId,
          instanceId: session.instanceId!,
          revision: frame.revision,
          messages: frame.messages,
          now: nowDate(ctx),
        });
      ctx.hub.send(session, { type: 'transcript.ack', conversationId: frame.conversationId, revision: frame.revision });
      return;
    }
    case 'config.ack':
      await recordConfigAck(ctx.db, session.instanceId!, frame.version);
      ctx.logger.info({ event: 'config.acked', instanceId: session.instanceId, version: frame.version }, 'config acknowledged');
      return;
    case 'rtc.offer':
    case 'rtc.answer':
    case 'rtc.candidate':
    case 'rtc.close':
      return ctx.rtc.handle(session, frame);
  }
}

async function taskStatus(ctx: Ctx, session: Session, frame: Extract<ClientFrame<'gateway'>, { type: 'task.status' }>) {
  const workspaceId = session.workspaceId!;
  const instanceId = session.instanceId!;
  const outcome = await inTransaction(ctx.db, (tx) =>
    storeTaskStatus(tx, { ...frame, instanceId, workspaceId, receivedAt: nowDate(ctx) }),
  );
  ctx.logger.info(
    { event: 'task.status', outcome: outcome.kind, instanceId, taskId: frame.taskId, seq: frame.seq, state: frame.state },
    'task status received',
  );
  if (outcome.kind === 'gap') {
    ctx.hub.send(session, { type: 'task.status.nack', taskId: frame.taskId, expectedSeq: outcome.expectedSeq });
    return;
  }
  ctx.hub.send(session, { type: 'task.status.ack', taskId: frame.taskId, seq: frame.seq });
  if (outcome.kind !== 'stored') return;
  const members = await memberIds(ctx.db, workspaceId);
  const { type: _type, ...status } = frame;
  // the members' desktop apps may be connected to any cloud process
  ctx.cluster.send(
    { channel: 'user', userIds: [...members] },
    { type: 'event.task', workspaceId, status: { ...status, instanceId } },
  );
}
