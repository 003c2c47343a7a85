import type { Logger } from '@multiclaw-lab/kit';
import type { DaemonClientFrame, ServerFrame, UserClientFrame } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import { activeInstanceById, isViewer } from '../db/instances.ts';
import { roleOf } from '../db/workspaces.ts';
import { mutant } from '../mutant.ts';
import type { Hub, Session } from './hub.ts';

type RtcFrame = Extract<UserClientFrame | DaemonClientFrame, { type: `rtc.${string}` }>;
type RtcServerFrame = Extract<ServerFrame<'user' | 'daemon'>, { type: `rtc.${string}` }>;

/** One side of an ICE session: a socket of this process, or one held by another cloud process. */
type Side = { local: Session } | { sessionId: string; nodeId: string };

interface RtcSession {
  sessionId: string;
  instanceId: string;
  viewerUserId: string;
  viewer: Side;
  daemon: Side;
}

/** ICE signalling between cloud processes, when the viewer and the desktop sit on different ones. */
type RtcMessage =
  | {
      op: 'open';
      node: string;
      rtc: { sessionId: string; instanceId: string; viewerUserId: string };
      viewer: Side;
      daemonSessionId: string;
      sdp: string;
    }
  | { op: 'frame'; node: string; sessionId: string; to: string; frame: RtcServerFrame }
  | { op: 'end-viewer'; instanceId: string; userId: string; reason: string };

const isSide = (side: Side, session: Session) => 'local' in side && side.local === session;

/**
 * ICE signalling between a viewer (user channel) and a cloud desktop (daemon channel). An offer
 * is forwarded only if the viewer is a member of the desktop's workspace and its owner or on the
 * desktop's viewer list; from then on the session id belongs to exactly those two sockets and
 * frames go only between them — across cloud processes when the two sockets are held by
 * different ones. Everything else is refused with an `error` frame (forbidden), logged as
 * `rtc.refused`, and leaves the session alone.
 */
export class RtcRelay {
  readonly #ctx: Ctx;
  readonly #hub: Hub;
  readonly #logger: Logger;
  readonly #sessions = new Map<string, RtcSession>();

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    this.#hub = ctx.hub;
    this.#logger = ctx.logger;
    // A socket going away ends its ICE sessions; the other side hears rtc.close.
    ctx.hub.onRemove((gone) => {
      for (const rtc of [...this.#sessions.values()]) {
        if (!isSide(rtc.viewer, gone) && !isSide(rtc.daemon, gone)) continue;
        this.#forget(rtc.sessionId);
        const other = isSide(rtc.viewer, gone) ? rtc.daemon : rtc.viewer;
        this.#deliver(rtc.sessionId, other, { type: 'rtc.close', sessionId: rtc.sessionId, reason: 'peer disconnected' });
      }
    });
    ctx.cluster.bus.on('rtc', (body) => this.#fromOtherProcess(body as RtcMessage));
  }

  async handle(from: Session, frame: RtcFrame): Promise<void> {
    if (frame.type === 'rtc.offer') return this.#offer(from, frame);
    const rtc = this.#sessions.get(frame.sessionId);
    const isViewerSide = rtc !== undefined && isSide(rtc.viewer, from);
    const isDaemonSide = rtc !== undefined && isSide(rtc.daemon, from);
    if (!rtc || (!isViewerSide && !isDaemonSide)) {
      // the defect: refused and logged, yet a foreign candidate still reaches the desktop
      if (rtc && frame.type === 'rtc.candidate' && mutant('foreign-candidate-forwarded'))
        this.#deliver(rtc.sessionId, rtc.daemon, frame);
      const known = rtc !== undefined || (await this.#claimedElsewhere(frame.sessionId));
      return this.#refuse(from, frame.type, frame.sessionId, known ? 'socket does not own this session' : 'unknown session');
    }
    if (frame.type === 'rtc.answer' && !isDaemonSide)
      return this.#refuse(from, frame.type, frame.sessionId, 'only the desktop answers');
    if (frame.type === 'rtc.close') this.#forget(rtc.sessionId);
    this.#deliver(rtc.sessionId, isViewerSide ? rtc.daemon : rtc.viewer, frame);
  }

  async #offer(viewer: Session, frame: Extract<RtcFrame, { type: 'rtc.offer' }>): Promise<void> {
    const refuse = (reason: string) => this.#refuse(viewer, frame.type, frame.sessionId, reason, frame.instanceId);
    if (viewer.channel !== 'user' || !viewer.userId) return refuse('offers come from viewers');
    // first, before anything about the viewer: an id in use is refused alike on every process
    if (this.#sessions.has(frame.sessionId) || (await this.#claimedElsewhere(frame.sessionId))) {
      return refuse('session id already in use');
    }
    const instance = await activeInstanceById(this.#ctx.db, frame.instanceId);
    if (instance?.kind !== 'cloud-desktop') return refuse('no such cloud desktop');
    const role = await roleOf(this.#ctx.db, instance.workspace_id, viewer.userId);
    if (!role) return refuse('viewer is not a member of the desktop workspace');
    if (role !== 'owner' && !(await isViewer(this.#ctx.db, instance.id, viewer.userId))) {
      return refuse('viewer is not on the desktop viewer list');
    }
    const daemon = await this.#ctx.cluster.locate('daemon', instance.id);
    if (!daemon) return refuse('cloud desktop is not connected');
    // The id is claimed for every cloud process at once; checked again after the awaits, as
    // the socket may have gone meanwhile.
    if (!(await this.#claim(frame.sessionId)) || this.#hub.get(viewer.id) !== viewer || this.#sessions.has(frame.sessionId)) {
      return refuse('session id already in use');
    }
    const here = daemon.nodeId === this.#ctx.cluster.nodeId ? this.#hub.get(daemon.sessionId) : undefined;
    const rtc = { sessionId: frame.sessionId, instanceId: instance.id, viewerUserId: viewer.userId };
    this.#sessions.set(frame.sessionId, { ...rtc, viewer: { local: viewer }, daemon: here ? { local: here } : daemon });
    const offer = { type: 'rtc.offer', sessionId: frame.sessionId, viewerUserId: viewer.userId, sdp: frame.sdp } as const;
    if (here) this.#hub.send(here, offer);
    else {
      const from = { sessionId: viewer.id, nodeId: this.#ctx.cluster.nodeId };
      this.#publish({ op: 'open', node: daemon.nodeId, rtc, viewer: from, daemonSessionId: daemon.sessionId, sdp: frame.sdp });
    }
    this.#logger.info(
      { event: 'rtc.session_opened', sessionId: frame.sessionId, instanceId: instance.id, viewerUserId: viewer.userId },
      'ICE session relayed to the desktop',
    );
  }

  /** Ends the sessions of a viewer who lost access to a desktop, on every cloud process. */
  endViewer(instanceId: string, userId: string, reason: string): void {
    this.#endViewerHere(instanceId, userId, reason);
    this.#publish({ op: 'end-viewer', instanceId, userId, reason });
  }

  #endViewerHere(instanceId: string, userId: string, reason: string): void {
    for (const rtc of [...this.#sessions.values()]) {
      if (rtc.instanceId !== instanceId || rtc.viewerUserId !== userId) continue;
      this.#forget(rtc.sessionId);
      // each process tells the sockets it holds
      for (const side of [rtc.viewer, rtc.daemon]) {
        if ('local' in side) this.#hub.send(side.local, { type: 'rtc.close', sessionId: rtc.sessionId, reason });
      }
    }
  }

  #fromOtherProcess(m: RtcMessage): void {
    if (m.op === 'end-viewer') {
      this.#endViewerHere(m.instanceId, m.userId, m.reason);
      return;
    }
    if (m.node !== this.#ctx.cluster.nodeId) return;
    if (m.op === 'frame') {
      const rtc = this.#sessions.get(m.sessionId);
      if (!rtc) return;
      if (m.frame.type === 'rtc.close') this.#forget(m.sessionId);
      const to = this.#hub.get(m.to);
      if (to) this.#hub.send(to, m.frame);
      return;
    }
    const daemon = this.#hub.get(m.daemonSessionId);
    if (!daemon || this.#sessions.has(m.rtc.sessionId)) {
      const reason = 'peer disconnected';
      this.#deliver(m.rtc.sessionId, m.viewer, { type: 'rtc.close', sessionId: m.rtc.sessionId, reason });
      return;
    }
    this.#sessions.set(m.rtc.sessionId, { ...m.rtc, viewer: m.viewer, daemon: { local: daemon } });
    this.#hub.send(daemon, { type: 'rtc.offer', sessionId: m.rtc.sessionId, viewerUserId: m.rtc.viewerUserId, sdp: m.sdp });
  }

  #deliver(sessionId: string, to: Side, frame: RtcServerFrame): void {
    if ('local' in to) this.#hub.send(to.local, frame);
    else this.#publish({ op: 'frame', node: to.nodeId, sessionId, to: to.sessionId, frame });
  }

  #publish(message: RtcMessage): void {
    this.#ctx.cluster.bus
      .publish('rtc', message)
      .catch((err: unknown) =>
        this.#logger.error({ event: 'cluster.publish_failed', kind: 'rtc', err }, 'could not reach the other cloud process'),
      );
  }

  async #claim(sessionId: string): Promise<boolean> {
    const { rowCount } = await this.#ctx.db.query(
      'INSERT INTO realtime_rtc_sessions (session_id, node_id) VALUES ($1, $2) ON CONFLICT (session_id) DO NOTHING',
      [sessionId, this.#ctx.cluster.nodeId],
    );
    return rowCount === 1;
  }

  async #claimedElsewhere(sessionId: string): Promise<boolean> {
    const { rowCount } = await this.#ctx.db.query('SELECT 1 FROM realtime_rtc_sessions WHERE session_id = $1', [sessionId]);
    return (rowCount ?? 0) > 0;
  }

  #forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
    this.#ctx.db
      .query('DELETE FROM realtime_rtc_sessions WHERE session_id = $1', [sessionId])
      .catch((err: unknown) =>
        this.#logger.warn({ event: 'rtc.forget_failed', sessionId, err }, 'could not release an ICE session id'),
      );
  }

  #refuse(from: Session, ref: string, sessionId: string, reason: string, instanceId?: string): void {
    this.#logger.warn(
      {
        event: 'rtc.refused',
        reason,
        ref,
        sessionId,
        instanceId,
        connectionId: from.id,
        channel: from.channel,
        subject: from.claims.sub,
      },
      'ICE signalling refused',
    );
    this.#hub.send(from, { type: 'error', code: 'forbidden', message: `refused ${ref}: ${reason}`, ref });
  }
}
