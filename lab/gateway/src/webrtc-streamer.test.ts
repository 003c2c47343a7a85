import { createHash } from 'node:crypto';
import { createLogger } from '@multiclaw-lab/kit';
import { SCREEN_CHANNEL_LABEL } from '@multiclaw-lab/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import type { RtcOutgoingFrame } from './screen-streamer.ts';
import { syntheticJpeg } from './synthetic-jpeg.ts';
import { WebrtcScreenStreamer } from './webrtc-streamer.ts';

const LOOPBACK = ['127.0.0.1'];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function silentLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'test',
    destination: { write: (l: string) => lines.push(JSON.parse(l)) },
  });
  return { logger, lines };
}

/** A stand-in viewer (the desktop side), talking to the streamer directly instead of through the cloud. */
async function connectViewer(streamer: WebrtcScreenStreamer, sessionId: string, wantFrames: number) {
  const viewer = new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: LOOPBACK,
    iceUseIpv6: false,
    iceFilterCandidatePair: (pair) => pair.remoteCandidate.type !== 'host' || LOOPBACK.includes(pair.remoteCandidate.host),
  });
  cleanups.push(() => viewer.close());
  const channel = viewer.createDataChannel(SCREEN_CHANNEL_LABEL);
  const frames: Buffer[] = [];
  const closes: RtcOutgoingFrame[] = [];
  const enough = new Promise<void>((resolve) => {
    channel.onMessage.subscribe((data) => {
      if (typeof data !== 'string') frames.push(Buffer.from(data));
      if (frames.length === wantFrames) resolve();
    });
  });
  const opened = new Promise<void>((resolve) => channel.stateChanged.subscribe((s) => s === 'open' && resolve()));

  const send = (frame: RtcOutgoingFrame) => {
    if (frame.type === 'rtc.answer') void viewer.setRemoteDescription({ type: 'answer', sdp: frame.sdp });
    else if (frame.type === 'rtc.candidate')
      void viewer.addIceCandidate({ candidate: frame.candidate.candidate, sdpMid: frame.candidate.sdpMid ?? undefined });
    else closes.push(frame);
  };
  viewer.onIceCandidate.subscribe((c) => {
    if (c?.candidate)
      void streamer.candidate({
        type: 'rtc.candidate',
        sessionId,
        candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null },
      });
  });
  await viewer.setLocalDescription(await viewer.createOffer());
  const offer = viewer.localDescription!;
  await streamer.offer({ type: 'rtc.offer', sessionId, viewerUserId: 'user-1', sdp: offer.sdp }, send);
  return { viewer, channel, frames, closes, enough, opened };
}

describe('WebrtcScreenStreamer', () => {
  it('streams byte-identical JPEG frames carrying the canary, and records input events', async () => {
    const { logger, lines } = silentLogger();
    const streamer = new WebrtcScreenStreamer({
      iceServers: () => [],
      logger,
      framesPerSecond: 50,
      hostAddresses: LOOPBACK,
      connectTimeoutMs: 15_000,
    });
    cleanups.push(() => streamer.shutdown());
    const v = await connectViewer(streamer, 'session-0001', 5);
    await v.opened;
    v.channel.send(JSON.stringify({ type: 'pointer', x: 10, y: 20, buttons: 1 }));
    v.channel.send(JSON.stringify({ type: 'key', key: 'a', down: true }));
    v.channel.send('{not json');
    await v.enough;

    for (const [n, frame] of v.frames.slice(0, 5).entries()) {
      expect(createHash('sha256').update(frame).digest('hex')).toBe(streamer.frameHash(n));
      expect(frame.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(frame.includes(Buffer.from(streamer.canary))).toBe(true);
    }
    expect(streamer.canary).toMatch(/^MCLAB-CANARY-[0-9a-f]{16}$/);

    await expect.poll(() => streamer.stats().inputsReceived + streamer.stats().inputsRejected).toBe(3);
    const stats = streamer.stats();
    expect(stats.recentInputs).toEqual([
      { type: 'pointer', x: 10, y: 20, buttons: 1 },
      { type: 'key', key: 'a', down: true },
    ]);
    expect(stats.inputsRejected).toBe(1);
    expect(stats.framesSent).toBeGreaterThanOrEqual(5);
    const connected = lines.find((l) => l.event === 'rtc.session.connected');
    expect(connected).toMatchObject({ sessionId: 'session-0001', localType: 'host', remoteType: 'host' });
    expect(v.closes).toEqual([]);
  }, 30_000);

  it('answers a bad offer with rtc.close instead of throwing', async () => {
    const { logger } = silentLogger();
    const streamer = new WebrtcScreenStreamer({ iceServers: () => [], logger, hostAddresses: LOOPBACK });
    cleanups.push(() => streamer.shutdown());
    const sent: RtcOutgoingFrame[] = [];
    await streamer.offer({ type: 'rtc.offer', sessionId: 'session-bad1', viewerUserId: 'u', sdp: 'v=0 garbage' }, (f) =>
      sent.push(f),
    );
    expect(sent.at(-1)).toMatchObject({ type: 'rtc.close', sessionId: 'session-bad1' });
    // a candidate for a session that is gone is ignored, not a crash
    await streamer.candidate({ type: 'rtc.candidate', sessionId: 'session-bad1', candidate: { candidate: 'x' } });
  });

  it('gives up with rtc.close when no connection comes within the connect timeout', async () => {
    const { logger } = silentLogger();
    const streamer = new WebrtcScreenStreamer({ iceServers: () => [], logger, hostAddresses: LOOPBACK, connectTimeoutMs: 300 });
    cleanups.push(() => streamer.shutdown());
    const viewer = new RTCPeerConnection({ iceServers: [] });
    cleanups.push(() => viewer.close());
    viewer.createDataChannel(SCREEN_CHANNEL_LABEL);
    await viewer.setLocalDescription(await viewer.createOffer());
    const offer = viewer.localDescription!;
    const closed = new Promise<RtcOutgoingFrame>((resolve) => {
      // the viewer's candidates are never delivered (stripped from the SDP, no trickle): no path
      const sdp = offer.sdp.replace(/^a=(candidate|end-of-candidates).*\r?\n/gm, '');
      void streamer.offer({ type: 'rtc.offer', sessionId: 'session-lost', viewerUserId: 'u', sdp }, (f) => {
        if (f.type === 'rtc.close') resolve(f);
      });
    });
    expect(await closed).toMatchObject({ reason: 'no WebRTC connection within 300 ms' });
  });

  it('frames are deterministic per canary and frame number', () => {
    expect(syntheticJpeg('MCLAB-CANARY-x', 3)).toEqual(syntheticJpeg('MCLAB-CANARY-x', 3));
    expect(syntheticJpeg('MCLAB-CANARY-x', 3)).not.toEqual(syntheticJpeg('MCLAB-CANARY-x', 4));
    expect(syntheticJpeg('MCLAB-CANARY-x', 0).subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  });
});
