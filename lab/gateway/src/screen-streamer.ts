import type { RtcAnswer, RtcCandidate, RtcClose, RtcOfferRelayed } from '@multiclaw-lab/protocol';
import type { z } from 'zod';

export type RtcOfferFrame = z.infer<typeof RtcOfferRelayed>;
export type RtcCandidateFrame = z.infer<typeof RtcCandidate>;
export type RtcCloseFrame = z.infer<typeof RtcClose>;
export type RtcOutgoingFrame = z.infer<typeof RtcAnswer> | RtcCandidateFrame | RtcCloseFrame;

/**
 * Where a daemon's screen comes from. The cloud relays a viewer's WebRTC signalling here; the
 * streamer answers through `send` (rtc.answer, rtc.candidate, rtc.close). The real one (JPEG
 * frames over a DataChannel) plugs in later.
 */
export interface ScreenStreamer {
  offer(frame: RtcOfferFrame, send: (frame: RtcOutgoingFrame) => void): void | Promise<void>;
  candidate(frame: RtcCandidateFrame): void | Promise<void>;
  close(frame: RtcCloseFrame): void | Promise<void>;
  /** the gateway is stopping: end every session */
  shutdown?(): void | Promise<void>;
}

/** Until a streamer is plugged in, every viewing request is refused politely. */
export const noScreenStreamer: ScreenStreamer = {
  offer(frame, send) {
    send({ type: 'rtc.close', sessionId: frame.sessionId, reason: 'no screen streamer' });
  },
  candidate() {},
  close() {},
};
