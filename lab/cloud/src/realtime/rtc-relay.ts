import type { Logger } from '@multiclaw-lab/kit';
import type { DaemonClientFrame, UserClientFrame } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import { activeInstanceById, isViewer } from '../db/instances.ts';
import { roleOf } from '../db/workspaces.ts';
import { mutant } from '../mutant.ts';
import type { Hub, Session } from './hub.ts';

type RtcFrame = Extract<UserClientFrame | DaemonClientFrame, { type: `rtc.${string}` }>;

interface RtcSession {
  sessionId: string;
  instanceId: string;
  viewer: Session;
  daemon: Session;
}

/**
 * ICE signalling between a viewer (user channel) and a cloud desktop (daemon channel). An offer
 * is forwarded only if the viewer is a member of the desktop's workspace and its owner or on the
 * desktop's viewer list; from then on the session id belongs to exactly those two sockets and
 * frames go only between them. Everything else is refused with an `error` frame (forbidden),
 * logged as `rtc.refused`, and leaves the session alone.
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
        if (rtc.viewer !== gone && rtc.daemon !== gone) continue;
        this.#sessions.delete(rtc.sessionId);
        const other = rtc.viewer === gone ? rtc.daemon : rtc.viewer;
        this.#hub.send(other, { type: 'rtc.close', sessionId: rtc.sessionId, reason: 'peer disconnected' });
      }
    });
  }

  async handle(from: Session, frame: RtcFrame): Promise<void> {
    if (frame.type === 'rtc.offer') return this.#offer(from, frame);
    const rtc = this.#sessions.get(frame.sessionId);
    const isViewerSide = rtc?.viewer === from;
    const isDaemonSide = rtc?.daemon === from;
    if (!rtc || (!isViewerSide && !isDaemonSide)) {
      // the defect: refused and logged, yet a foreign candidate still reaches the desktop
      if (rtc && frame.type === 'rtc.candidate' && mutant('foreign-candidate-forwarded')) this.#hub.send(rtc.daemon, frame);
      return this.#refuse(from, frame.type, frame.sessionId, rtc ? 'socket does not own this session' : 'unknown session');
    }
    if (frame.type === 'rtc.answer' && !isDaemonSide)
      return this.#refuse(from, frame.type, frame.sessionId, 'only the desktop answers');
    const to = isViewerSide ? rtc.daemon : rtc.viewer;
    if (frame.type === 'rtc.close') this.#sessions.delete(rtc.sessionId);
    this.#hub.send(to, frame);
  }

  async #offer(viewer: Session, frame: Extract<RtcFrame, { type: 'rtc.offer' }>): Promise<void> {
    const refuse = (reason: string) => this.#refuse(viewer, frame.type, frame.sessionId, reason, frame.instanceId);
    if (viewer.channel !== 'user' || !viewer.userId) return refuse('offers come from viewers');
    if (this.#sessions.has(frame.sessionId)) return refuse('session id already in use');
    const instance = await activeInstanceById(this.#ctx.db, frame.instanceId);
    if (instance?.kind !== 'cloud-desktop') return refuse('no such cloud desktop');
    const role = await roleOf(this.#ctx.db, instance.workspace_id, viewer.userId);
    if (!role) return refuse('viewer is not a member of the desktop workspace');
    if (role !== 'owner' && !(await isViewer(this.#ctx.db, instance.id, viewer.userId))) {
      return refuse('viewer is not on the desktop viewer list');
    }
    const [daemon] = this.#hub.where((s) => s.channel === 'daemon' && s.instanceId === instance.id);
    if (!daemon) return refuse('cloud desktop is not connected');
    // Checked again after the awaits: the socket or the id may have changed meanwhile.
    if (this.#hub.get(viewer.id) !== viewer || this.#sessions.has(frame.sessionId)) return refuse('session id already in use');
    this.#sessions.set(frame.sessionId, { sessionId: frame.sessionId, instanceId: instance.id, viewer, daemon });
    this.#hub.send(daemon, { type: 'rtc.offer', sessionId: frame.sessionId, viewerUserId: viewer.userId, sdp: frame.sdp });
    this.#logger.info(
      { event: 'rtc.session_opened', sessionId: frame.sessionId, instanceId: instance.id, viewerUserId: viewer.userId },
      'ICE session relayed to the desktop',
    );
  }

  /** Ends the sessions of a viewer who lost access to a desktop. */
  endViewer(instanceId: string, userId: string, reason: string): void {
    for (const rtc of [...this.#sessions.values()]) {
      if (rtc.instanceId !== instanceId || rtc.viewer.userId !== userId) continue;
      this.#sessions.delete(rtc.sessionId);
      for (const side of [rtc.viewer, rtc.daemon]) this.#hub.send(side, { type: 'rtc.close', sessionId: rtc.sessionId, reason });
    }
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
