import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from '@multiclaw-lab/kit';
import {
  pickStunUrl,
  pickTurnUrl,
  SCREEN_CHANNEL_LABEL,
  type ScreenInput,
  type TurnCredentialsResponse,
  type TurnTransport,
  turnUrlTransport,
  type UserServerFrame,
} from '@multiclaw-lab/protocol';
import type { RTCPeerConnection } from 'werift';
import type { z } from 'zod';
import { DesktopError } from './errors.ts';

/**
 * werift, loaded on the first viewing rather than with the app: it is a third of what the app
 * loads at start, and most app processes never view a desktop.
 */
let werift: Promise<typeof import('werift')> | undefined;
const loadWerift = () => {
  werift ??= import('werift');
  return werift;
};

type TurnCredentials = z.infer<typeof TurnCredentialsResponse>;
type RtcFromCloud = Extract<UserServerFrame, { type: 'rtc.answer' | 'rtc.candidate' | 'rtc.close' }>;
export type RtcToCloud =
  | { type: 'rtc.offer'; sessionId: string; instanceId: string; sdp: string }
  | { type: 'rtc.candidate'; sessionId: string; candidate: { candidate: string; sdpMid?: string | null } }
  | { type: 'rtc.close'; sessionId: string; reason: string };

/**
 * 'auto': one UDP TURN URL, direct candidates allowed (ICE picks direct when it works).
 * 'turn-relay': relay only, over TURN/TLS (turns:…:443): nothing but TCP 443 leaves the viewer.
 */
export type ViewMode = 'auto' | 'turn-relay';

/** The signalling path: the desktop app's authenticated user WSS to the cloud, nothing else. */
export interface ViewerSignalling {
  send(frame: RtcToCloud): boolean;
  /** subscribe to frames from the cloud; returns the unsubscribe function */
  subscribe(listener: (frame: UserServerFrame) => void): () => void;
}

export interface ViewOptions {
  instanceId: string;
  mode: ViewMode;
  /** the whole setup (offer → DataChannel open) must finish within this, else `webrtc_timeout` */
  timeoutMs: number;
  turn: TurnCredentials;
  signalling: ViewerSignalling;
  logger: Logger;
  /** CA for the turns: server (werift's `turnTlsOptions`) */
  ca?: string | string[] | undefined;
  /** direct candidates only on these addresses (lab/tests: ['127.0.0.1']) */
  hostAddresses?: string[] | undefined;
  /** mode 'auto': how long the direct attempt (STUN only) may take before the relay is tried; default 4 s */
  directTimeoutMs?: number | undefined;
}

export interface SelectedPair {
  /** the viewer's side: host | srflx | prflx | relay */
  local: string | undefined;
  remote: string | undefined;
  /** how the viewer reaches its TURN server when `local` is relay (from the URL it was given) */
  relayTransport: TurnTransport | undefined;
  localCandidate: string;
  remoteCandidate: string;
}

export interface FrameStats {
  count: number;
  bytes: number;
  /** sha256 hex of every frame, in arrival order */
  sha256: string[];
  /** ms from the offer to the first frame */
  firstFrameMs: number | undefined;
}

export interface ViewSession {
  sessionId: string;
  /** from the first offer to the open DataChannel (in 'auto', a failed direct attempt included) */
  connectMs: number;
  /** 'direct' (STUN only, no relay candidate) or 'relay' (a TURN URL was given) */
  attempt: 'direct' | 'relay';
  /** the sessions tried before this one (auto: the direct attempt that did not connect) */
  failedAttempts: { sessionId: string; attempt: 'direct' | 'relay'; code: string }[];
  pair: SelectedPair | undefined;
  frames: FrameStats;
  /** resolves once `count` frames have arrived; rejects with `webrtc_timeout` after `timeoutMs` */
  waitForFrames(count: number, timeoutMs: number): Promise<FrameStats>;
  sendInput(input: ScreenInput): void;
  close(reason?: string): Promise<void>;
}

const MODE_TRANSPORT: Record<ViewMode, TurnTransport> = { auto: 'udp', 'turn-relay': 'tls' };
const DEFAULT_DIRECT_TIMEOUT_MS = 4_000;

interface Attempt {
  kind: 'direct' | 'relay';
  /** the one ICE server of this attempt: a stun: URL (direct) or a TURN URL */
  url: string;
  policy: 'all' | 'relay';
  timeoutMs: number;
  /** performance.now() of the first offer, for connectMs */
  started: number;
}

/**
 * Opens a viewing session to a cloud desktop over WebRTC, signalled through the cloud WSS.
 * 'auto' tries direct first with STUN only — coturn allocates nothing for a direct session — and,
 * if that does not connect within `directTimeoutMs`, opens a second session over TURN/UDP.
 * 'turn-relay' opens one relay-only session over TURN/TLS on 443.
 */
export async function viewDesktop(options: ViewOptions): Promise<ViewSession> {
  const { mode, timeoutMs } = options;
  // before the clock starts: loading is not part of connecting
  await loadWerift();
  const transport = MODE_TRANSPORT[mode];
  const turnUrl = pickTurnUrl(options.turn.urls, transport);
  if (!turnUrl) {
    throw new DesktopError('webrtc_no_turn', `the cloud offers no ${transport} TURN URL for mode ${mode}`, {
      hint: `the cloud's TURN URLs are ${options.turn.urls.join(', ') || 'empty'}; configure CLOUD_TURN_URLS`,
    });
  }
  const started = performance.now();
  const relay: Omit<Attempt, 'timeoutMs'> = {
    kind: 'relay',
    url: turnUrl,
    policy: mode === 'turn-relay' ? 'relay' : 'all',
    started,
  };
  const stunUrl = pickStunUrl(options.turn.urls);
  if (mode === 'turn-relay' || !stunUrl) return openSession(options, { ...relay, timeoutMs }, []);

  const directMs = Math.min(options.directTimeoutMs ?? DEFAULT_DIRECT_TIMEOUT_MS, timeoutMs);
  const failed: ViewSession['failedAttempts'] = [];
  try {
    return await openSession(options, { kind: 'direct', url: stunUrl, policy: 'all', timeoutMs: directMs, started }, failed);
  } catch (err) {
    const code = err instanceof DesktopError ? err.code : '';
    if (code !== 'webrtc_timeout' && code !== 'webrtc_failed') throw err;
    failed.push({ sessionId: (err as DesktopError & { sessionId?: string }).sessionId ?? '', attempt: 'direct', code });
    const left = timeoutMs - Math.round(performance.now() - started);
    if (left <= 0) throw err;
    options.logger.info({ event: 'webrtc.direct_failed', code, relayUrl: turnUrl }, 'no direct path: trying the TURN relay');
    return openSession(options, { ...relay, timeoutMs: left }, failed);
  }
}

async function openSession(
  options: ViewOptions,
  attempt: Attempt,
  failedAttempts: ViewSession['failedAttempts'],
): Promise<ViewSession> {
  const { logger, signalling, mode } = options;
  const timeoutMs = attempt.timeoutMs;
  const turnUrl = attempt.url;
  const hosts = options.hostAddresses;
  const { RTCPeerConnection } = await loadWerift();
  const pc = new RTCPeerConnection({
    // exactly one ICE server: werift does not walk a list; and never its default outside STUN server
    iceServers: [
      attempt.kind === 'direct'
        ? { urls: turnUrl }
        : { urls: turnUrl, username: options.turn.username, credential: options.turn.credential },
    ],
    iceTransportPolicy: attempt.policy,
    ...(options.ca ? { turnTlsOptions: { ca: options.ca } } : {}),
    ...(hosts
      ? {
          iceAdditionalHostAddresses: hosts,
          iceUseIpv6: false,
          iceFilterCandidatePair: (pair) => pair.remoteCandidate.type !== 'host' || hosts.includes(pair.remoteCandidate.host),
        }
      : {}),
  });
  const sessionId = randomUUID();
  const started = attempt.started;
  const channel = pc.createDataChannel(SCREEN_CHANNEL_LABEL);
  const frames: FrameStats = { count: 0, bytes: 0, sha256: [], firstFrameMs: undefined };
  const frameWaiters = new Set<() => void>();
  let closedByPeer: string | undefined;
  let offerSent = false;

  const unsubscribe = signalling.subscribe((frame) => {
    if (!('sessionId' in frame) || frame.sessionId !== sessionId) return;
    void onSignal(frame as RtcFromCloud);
  });
  let failSetup: (err: Error) => void = () => {};
  const onSignal = async (frame: RtcFromCloud) => {
    try {
      if (frame.type === 'rtc.answer') await pc.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
      else if (frame.type === 'rtc.candidate')
        await pc.addIceCandidate({
          candidate: frame.candidate.candidate,
          sdpMid: frame.candidate.sdpMid ?? undefined,
          sdpMLineIndex: frame.candidate.sdpMLineIndex ?? undefined,
        });
      else {
        closedByPeer = frame.reason;
        logger.info({ event: 'webrtc.closed_by_peer', sessionId, reason: frame.reason });
        failSetup(new DesktopError('webrtc_refused', `the cloud desktop ended the viewing session: ${frame.reason}`));
      }
    } catch (err) {
      logger.warn({ event: 'webrtc.signal_rejected', sessionId, type: frame.type, message: (err as Error).message });
    }
  };
  // werift gathers (and reports candidates) while it builds the offer: hold them until the offer is
  // out, or the cloud would see candidates for a session it does not know yet
  const heldCandidates: RtcToCloud[] = [];
  pc.onIceCandidate.subscribe((c) => {
    if (!c?.candidate) return;
    const frame: RtcToCloud = {
      type: 'rtc.candidate',
      sessionId,
      candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null },
    };
    if (offerSent) signalling.send(frame);
    else heldCandidates.push(frame);
  });
  channel.onMessage.subscribe((data) => {
    if (typeof data === 'string') return; // the daemon sends frames as binary only
    frames.count += 1;
    frames.bytes += data.length;
    frames.sha256.push(createHash('sha256').update(data).digest('hex'));
    frames.firstFrameMs ??= Math.round(performance.now() - started);
    for (const w of frameWaiters) w();
  });

  let closed = false;
  const close = async (reason = 'viewer closed') => {
    closed = true;
    unsubscribe();
    if (offerSent && !closedByPeer) signalling.send({ type: 'rtc.close', sessionId, reason });
    await pc.close().catch(() => {});
  };

  const opened = new Promise<void>((resolve, reject) => {
    failSetup = reject;
    channel.stateChanged.subscribe((s) => s === 'open' && resolve());
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'failed') reject(new DesktopError('webrtc_failed', 'no ICE candidate pair worked between viewer and desktop'));
    });
  });
  // werift alone sits in `checking` for 90 s+ when there is no path: our own bound
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DesktopError(
            'webrtc_timeout',
            `no WebRTC connection to the cloud desktop within ${timeoutMs} ms (mode ${mode}, ${attempt.kind} attempt)`,
            {
              hint:
                mode === 'auto'
                  ? 'UDP may be blocked on this network: try the "TURN relay" connection mode (TCP/TLS 443)'
                  : 'check that the TURN server is reachable on 443 and its certificate is trusted',
            },
          ),
        ),
      timeoutMs,
    );
  });

  timedOut.catch(() => {}); // it only matters inside the race below
  opened.catch(() => {});
  // the offer is inside the bound too: werift's setLocalDescription waits for candidate gathering
  const setup = (async () => {
    await pc.setLocalDescription(await pc.createOffer());
    // gathering can outlast the bound: an attempt given up meanwhile sends nothing any more
    if (closed) return;
    logger.info({
      event: 'webrtc.offer',
      sessionId,
      instanceId: options.instanceId,
      mode,
      attempt: attempt.kind,
      iceUrl: turnUrl,
    });
    offerSent = signalling.send({ type: 'rtc.offer', sessionId, instanceId: options.instanceId, sdp: pc.localDescription!.sdp });
    if (!offerSent) {
      throw new DesktopError('not_connected', 'the real-time connection to the cloud is not open', {
        hint: 'call connect first',
      });
    }
    for (const frame of heldCandidates.splice(0)) signalling.send(frame);
    await opened;
  })();
  setup.catch(() => {}); // after a timeout the abandoned setup may still fail; the race reported it
  try {
    await Promise.race([setup, timedOut]);
  } catch (err) {
    logger.warn({
      event: 'webrtc.failed',
      sessionId,
      mode,
      attempt: attempt.kind,
      code: (err as DesktopError).code,
      message: (err as Error).message,
    });
    await close(err instanceof DesktopError ? err.code : 'setup failed');
    if (err instanceof Error) Object.assign(err, { sessionId });
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const connectMs = Math.round(performance.now() - started);
  const pair = selectedPair(pc, turnUrl);
  logger.info({
    event: 'webrtc.connected',
    sessionId,
    mode,
    attempt: attempt.kind,
    connectMs,
    pair: pair && { local: pair.local, remote: pair.remote, relayTransport: pair.relayTransport },
  });

  return {
    sessionId,
    connectMs,
    attempt: attempt.kind,
    failedAttempts,
    pair,
    frames,
    waitForFrames(count, waitMs) {
      if (frames.count >= count) return Promise.resolve(frames);
      return new Promise<FrameStats>((resolve, reject) => {
        const check = () => {
          if (frames.count < count) return;
          clearTimeout(t);
          frameWaiters.delete(check);
          resolve(frames);
        };
        const t = setTimeout(() => {
          frameWaiters.delete(check);
          reject(new DesktopError('webrtc_timeout', `only ${frames.count} of ${count} frames arrived within ${waitMs} ms`));
        }, waitMs);
        frameWaiters.add(check);
      });
    },
    sendInput(input) {
      channel.send(JSON.stringify(input));
    },
    close,
  };
}

/**
 * What werift exposes about the chosen path: the selected pair's two SDP candidate lines (so the
 * type of each side). It does not say how a relay candidate reaches its TURN server, so that comes
 * from the one TURN URL this peer was given.
 */
function selectedPair(pc: RTCPeerConnection, turnUrl: string): SelectedPair | undefined {
  const pair = pc.iceTransports[0]?.getSelectedCandidatePair();
  if (!pair) return undefined;
  const local = candidateType(pair.local.candidate);
  return {
    local,
    remote: candidateType(pair.remote.candidate),
    relayTransport: local === 'relay' ? turnUrlTransport(turnUrl) : undefined,
    localCandidate: pair.local.candidate,
    remoteCandidate: pair.remote.candidate,
  };
}

function candidateType(candidate: string): string | undefined {
  return /\btyp (\w+)/.exec(candidate)?.[1];
}
