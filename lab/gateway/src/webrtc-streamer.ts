import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '@multiclaw-lab/kit';
import { SCREEN_CHANNEL_LABEL, ScreenInput } from '@multiclaw-lab/protocol';
import { type RTCDataChannel, type RTCIceServer, RTCPeerConnection } from 'werift';
import type { RtcCandidateFrame, RtcCloseFrame, RtcOfferFrame, RtcOutgoingFrame, ScreenStreamer } from './screen-streamer.ts';
import { syntheticJpeg } from './synthetic-jpeg.ts';

export interface WebrtcStreamerOptions {
  /**
   * ICE servers for a new session. Called once per offer so TURN credentials are fresh (the
   * daemon gets them from the cloud with its instance token). werift walks no list: give ONE
   * TURN URL. Never leave it empty-handed: werift's default is an outside STUN server.
   */
  iceServers: () => RTCIceServer[] | Promise<RTCIceServer[]>;
  iceTransportPolicy?: 'all' | 'relay';
  /** CA to verify a turns: server with (werift's `turnTlsOptions`) */
  ca?: string | string[] | undefined;
  logger: Logger;
  framesPerSecond?: number;
  /** marker in every frame's JPEG comment; a random `MCLAB-CANARY-…` by default */
  canary?: string;
  /** pad each frame to about this many bytes (0: the tiny 8×8 frame alone) */
  frameBytes?: number;
  /** werift stays in `checking` for 90 s+ when there is no path: give up earlier */
  connectTimeoutMs?: number;
  /**
   * Restrict direct (host) candidates to these addresses and pair only with remote candidates on
   * them (tests: ['127.0.0.1'], so no check ever leaves loopback). Default: werift's own choice.
   */
  hostAddresses?: string[] | undefined;
  maxSessions?: number;
}

export interface StreamerStats {
  sessions: number;
  framesSent: number;
  bytesSent: number;
  /** frames not sent because the channel's send buffer was full (slow viewer) */
  framesSkipped: number;
  inputsReceived: number;
  inputsRejected: number;
  /** the last input events applied, oldest first */
  recentInputs: ScreenInput[];
}

const RECENT_INPUTS = 100;
const DATA_CHANNEL_SECTION = /^m=application \d+ [A-Z/]*SCTP webrtc-datachannel/m;
/** above this many buffered bytes a frame is skipped instead of queued: a viewer sees fresh frames */
const MAX_BUFFERED_BYTES = 1 << 20;

interface Session {
  id: string;
  pc: RTCPeerConnection;
  /** resolves once the remote offer is set; candidates that arrive earlier wait for it */
  ready: Promise<void>;
  startedAt: number;
  timers: NodeJS.Timeout[];
  framesSent: number;
}

/** The cloud desktop's screen over WebRTC: JPEG frames out on the viewer's DataChannel, input in. */
export class WebrtcScreenStreamer implements ScreenStreamer {
  readonly canary: string;
  readonly #options: WebrtcStreamerOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #stats: StreamerStats = {
    sessions: 0,
    framesSent: 0,
    bytesSent: 0,
    framesSkipped: 0,
    inputsReceived: 0,
    inputsRejected: 0,
    recentInputs: [],
  };

  constructor(options: WebrtcStreamerOptions) {
    this.#options = options;
    this.canary = options.canary ?? `MCLAB-CANARY-${randomBytes(8).toString('hex')}`;
  }

  stats(): StreamerStats {
    return { ...this.#stats, recentInputs: [...this.#stats.recentInputs] };
  }

  /** sha256 (hex) of frame `n` as this streamer sends it, for byte-identity checks */
  frameHash(n: number): string {
    return createHash('sha256')
      .update(syntheticJpeg(this.canary, n, this.#options.frameBytes))
      .digest('hex');
  }

  async offer(frame: RtcOfferFrame, send: (frame: RtcOutgoingFrame) => void): Promise<void> {
    const { logger } = this.#options;
    const sessionId = frame.sessionId;
    const refuse = (reason: string) => {
      logger.warn({ event: 'rtc.session.refused', sessionId, reason });
      send({ type: 'rtc.close', sessionId, reason });
    };
    if (this.#sessions.has(sessionId)) return refuse('this viewing session already exists');
    if (this.#sessions.size >= (this.#options.maxSessions ?? 4)) return refuse('too many viewers on this desktop');

    let iceServers: RTCIceServer[];
    try {
      iceServers = await this.#options.iceServers();
    } catch (err) {
      logger.warn({ event: 'rtc.turn.unavailable', sessionId, message: (err as Error).message });
      return refuse('the desktop could not get TURN credentials from the cloud; try again');
    }
    if (this.#sessions.has(sessionId)) return refuse('this viewing session already exists');

    let markReady!: () => void;
    let failReady!: (err: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    ready.catch(() => {}); // a failed offer is reported through rtc.close, not through candidate()
    const hosts = this.#options.hostAddresses;
    const pc = new RTCPeerConnection({
      iceServers,
      iceTransportPolicy: this.#options.iceTransportPolicy ?? 'all',
      ...(this.#options.ca ? { turnTlsOptions: { ca: this.#options.ca } } : {}),
      ...(hosts
        ? {
            iceAdditionalHostAddresses: hosts,
            iceUseIpv6: false,
            iceFilterCandidatePair: (pair) => pair.remoteCandidate.type !== 'host' || hosts.includes(pair.remoteCandidate.host),
          }
        : {}),
    });
    const session: Session = { id: sessionId, pc, ready, startedAt: performance.now(), timers: [], framesSent: 0 };
    this.#sessions.set(sessionId, session);
    this.#stats.sessions += 1;
    logger.info({ event: 'rtc.session.offer', sessionId, viewerUserId: frame.viewerUserId });

    const end = (reason: string, notifyViewer: boolean) => {
      if (this.#sessions.get(sessionId) !== session) return;
      if (notifyViewer) send({ type: 'rtc.close', sessionId, reason });
      void this.#end(session, reason);
    };

    pc.onIceCandidate.subscribe((c) => {
      if (!c?.candidate) return;
      if (hosts && !candidateAllowed(c.candidate, hosts)) return;
      send({
        type: 'rtc.candidate',
        sessionId,
        candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null },
      });
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') {
        const pair = pc.iceTransports[0]?.getSelectedCandidatePair();
        logger.info({
          event: 'rtc.session.connected',
          sessionId,
          connectMs: Math.round(performance.now() - session.startedAt),
          localType: pair ? candidateType(pair.local.candidate) : undefined,
          remoteType: pair ? candidateType(pair.remote.candidate) : undefined,
        });
      }
      if (state === 'failed') end('the WebRTC connection failed', true);
    });
    pc.onDataChannel.subscribe((channel) => {
      if (channel.label !== SCREEN_CHANNEL_LABEL) {
        logger.warn({ event: 'rtc.channel.ignored', sessionId, label: channel.label });
        return;
      }
      this.#serve(session, channel);
    });
    const timeoutMs = this.#options.connectTimeoutMs ?? 20_000;
    session.timers.push(
      setTimeout(() => {
        if (pc.connectionState !== 'connected') end(`no WebRTC connection within ${timeoutMs} ms`, true);
      }, timeoutMs),
    );

    try {
      // werift answers almost any text; an offer without a DataChannel section is useless here
      if (!DATA_CHANNEL_SECTION.test(frame.sdp)) throw new Error('the offer has no webrtc-datachannel m= section');
      await pc.setRemoteDescription({ type: 'offer', sdp: frame.sdp });
      markReady();
      await pc.setLocalDescription(await pc.createAnswer());
      // localDescription, not setLocalDescription's return value: werift's return is an internal type
      send({ type: 'rtc.answer', sessionId, sdp: pc.localDescription!.sdp });
    } catch (err) {
      failReady(err);
      logger.warn({ event: 'rtc.offer.invalid', sessionId, message: (err as Error).message });
      end('the offer could not be used; send a valid SDP offer with a DataChannel', true);
    }
  }

  async candidate(frame: RtcCandidateFrame): Promise<void> {
    const session = this.#sessions.get(frame.sessionId);
    if (!session) return;
    // on record: every address the desktop was asked to try, so a candidate nobody should have sent shows
    this.#options.logger.info({
      event: 'rtc.candidate.received',
      sessionId: frame.sessionId,
      candidate: frame.candidate.candidate,
    });
    try {
      await session.ready;
      await session.pc.addIceCandidate({
        candidate: frame.candidate.candidate,
        sdpMid: frame.candidate.sdpMid ?? undefined,
        sdpMLineIndex: frame.candidate.sdpMLineIndex ?? undefined,
      });
    } catch (err) {
      this.#options.logger.warn({ event: 'rtc.candidate.rejected', sessionId: frame.sessionId, message: (err as Error).message });
    }
  }

  close(frame: RtcCloseFrame): void {
    const session = this.#sessions.get(frame.sessionId);
    if (!session) return;
    void this.#end(session, `viewer closed: ${frame.reason}`);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((s) => this.#end(s, 'gateway stopping')));
  }

  #end(session: Session, reason: string): Promise<void> {
    this.#sessions.delete(session.id);
    for (const t of session.timers) clearTimeout(t); // clears intervals too
    this.#options.logger.info({ event: 'rtc.session.closed', sessionId: session.id, reason, framesSent: session.framesSent });
    return session.pc.close().catch(() => {});
  }

  #serve(session: Session, channel: RTCDataChannel): void {
    const { logger } = this.#options;
    const fps = this.#options.framesPerSecond ?? 10;
    let next = 0;
    const sendFrame = () => {
      if (channel.readyState !== 'open') return;
      if (channel.bufferedAmount > MAX_BUFFERED_BYTES) {
        this.#stats.framesSkipped += 1;
        return;
      }
      const jpeg = syntheticJpeg(this.canary, next, this.#options.frameBytes);
      next += 1;
      channel.send(jpeg);
      session.framesSent += 1;
      this.#stats.framesSent += 1;
      this.#stats.bytesSent += jpeg.length;
    };
    const start = () => {
      logger.info({ event: 'rtc.channel.open', sessionId: session.id, framesPerSecond: fps });
      sendFrame();
      session.timers.push(setInterval(sendFrame, 1000 / fps));
    };
    if (channel.readyState === 'open') start();
    else channel.stateChanged.subscribe((s) => s === 'open' && start());
    channel.onMessage.subscribe((data) => this.#applyInput(session.id, data));
  }

  /** "Applies" an input event: the synthetic desktop records it (a real one would inject it). */
  #applyInput(sessionId: string, data: string | Buffer): void {
    let parsed: ReturnType<typeof ScreenInput.safeParse> | undefined;
    if (typeof data === 'string' && data.length <= 1_000) {
      try {
        parsed = ScreenInput.safeParse(JSON.parse(data));
      } catch {}
    }
    if (!parsed?.success) {
      this.#stats.inputsRejected += 1;
      this.#options.logger.warn({ event: 'rtc.input.rejected', sessionId });
      return;
    }
    this.#stats.inputsReceived += 1;
    this.#stats.recentInputs.push(parsed.data);
    this.#options.logger.info({ event: 'rtc.input', sessionId, type: parsed.data.type });
    if (this.#stats.recentInputs.length > RECENT_INPUTS) this.#stats.recentInputs.shift();
  }
}

/** `typ host|srflx|prflx|relay` out of an SDP candidate line */
export function candidateType(candidate: string): string | undefined {
  return /\btyp (\w+)/.exec(candidate)?.[1];
}

/** host candidates only on the allowed addresses; srflx/relay candidates always */
function candidateAllowed(candidate: string, hosts: string[]): boolean {
  if (candidateType(candidate) !== 'host') return true;
  const address = candidate.split(' ')[4];
  return address !== undefined && hosts.includes(address);
}
