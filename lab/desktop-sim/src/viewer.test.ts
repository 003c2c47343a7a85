import { createHash } from 'node:crypto';
import { createLogger } from '@multiclaw-lab/kit';
import { SCREEN_CHANNEL_LABEL, type UserServerFrame } from '@multiclaw-lab/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { type RtcToCloud, type ViewerSignalling, viewDesktop } from './viewer.ts';

const LOOPBACK = ['127.0.0.1'];
const logger = createLogger({ service: 'test', destination: { write: () => {} } });
// a UDP TURN URL on a loopback port nobody serves: the allocation fails, host candidates still work
const TURN = {
  urls: ['turn:127.0.0.1:9?transport=udp', 'turns:127.0.0.1:9?transport=tcp'],
  username: '9999999999:viewer',
  credential: 'x',
  ttlSeconds: 600,
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
};
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

const frameBytes = (n: number) => Buffer.from(`\xff\xd8 stand-in frame ${n} MCLAB-CANARY-test \xff\xd9`, 'latin1');

/**
 * The cloud's WSS with a stand-in daemon behind it (a werift peer that answers offers, sends
 * `frameBytes(n)` frames on the viewer's channel and records the text messages it gets).
 */
function standInDesktop(options: { answer: boolean }) {
  const toViewer = new Set<(f: UserServerFrame) => void>();
  const sent: RtcToCloud[] = [];
  const inputs: string[] = [];
  let daemon: RTCPeerConnection | undefined;
  const deliver = (f: UserServerFrame) => {
    for (const l of toViewer) l(f);
  };
  const signalling: ViewerSignalling = {
    send(frame) {
      sent.push(frame);
      if (!options.answer) return true;
      if (frame.type === 'rtc.offer') void answer(frame.sessionId, frame.sdp);
      if (frame.type === 'rtc.candidate')
        void daemon?.addIceCandidate({ candidate: frame.candidate.candidate, sdpMid: frame.candidate.sdpMid ?? undefined });
      return true;
    },
    subscribe(listener) {
      toViewer.add(listener);
      return () => toViewer.delete(listener);
    },
  };
  const answer = async (sessionId: string, sdp: string) => {
    const pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: LOOPBACK,
      iceUseIpv6: false,
      iceFilterCandidatePair: (p) => p.remoteCandidate.type !== 'host' || LOOPBACK.includes(p.remoteCandidate.host),
    });
    daemon = pc;
    cleanups.push(() => pc.close());
    pc.onIceCandidate.subscribe((c) => {
      if (c?.candidate)
        deliver({ type: 'rtc.candidate', sessionId, candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? null } });
    });
    pc.onDataChannel.subscribe((channel) => {
      channel.onMessage.subscribe((m) => typeof m === 'string' && inputs.push(m));
      channel.stateChanged.subscribe((s) => {
        if (s === 'open') for (let n = 0; n < 5; n++) channel.send(frameBytes(n));
      });
    });
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    deliver({ type: 'rtc.answer', sessionId, sdp: pc.localDescription!.sdp });
  };
  return { signalling, sent, inputs };
}

describe('viewDesktop', () => {
  it('connects through the signalling path, receives byte-identical frames and sends input', async () => {
    const desk = standInDesktop({ answer: true });
    const session = await viewDesktop({
      instanceId: 'inst-1',
      mode: 'auto',
      timeoutMs: 15_000,
      turn: TURN,
      signalling: desk.signalling,
      logger,
      hostAddresses: LOOPBACK,
    });
    cleanups.push(() => session.close());
    const stats = await session.waitForFrames(5, 10_000);
    expect(stats.sha256).toEqual([0, 1, 2, 3, 4].map((n) => createHash('sha256').update(frameBytes(n)).digest('hex')));
    expect(stats.bytes).toBe([0, 1, 2, 3, 4].reduce((sum, n) => sum + frameBytes(n).length, 0));
    expect(stats.firstFrameMs).toBeGreaterThan(0);
    expect(session.pair).toMatchObject({ local: 'host', remote: 'host', relayTransport: undefined });

    session.sendInput({ type: 'key', key: 'Enter', down: true });
    await expect.poll(() => desk.inputs).toEqual([JSON.stringify({ type: 'key', key: 'Enter', down: true })]);

    const offer = desk.sent[0]; // the offer goes first: no candidate for a session the cloud does not know
    expect(offer).toMatchObject({ instanceId: 'inst-1' });
    expect(offer?.type === 'rtc.offer' && offer.sdp).toContain(`webrtc-datachannel`);
    expect(desk.sent.some((f) => f.type === 'rtc.candidate' && f.sessionId === session.sessionId)).toBe(true);
    await session.close();
    expect(desk.sent.at(-1)).toEqual({ type: 'rtc.close', sessionId: session.sessionId, reason: 'viewer closed' });
    expect(SCREEN_CHANNEL_LABEL).toBe('screen');
  }, 30_000);

  it('fails with webrtc_timeout within timeoutMs when the desktop never answers', async () => {
    const desk = standInDesktop({ answer: false });
    const attempt = viewDesktop({
      instanceId: 'inst-1',
      mode: 'auto',
      timeoutMs: 500,
      turn: TURN,
      signalling: desk.signalling,
      logger,
      hostAddresses: LOOPBACK,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'webrtc_timeout' });
    // whatever went out for this session (the offer may still have been gathering) ends with a close
    const last = desk.sent.at(-1);
    if (desk.sent.some((f) => f.type === 'rtc.offer'))
      expect(last).toMatchObject({ type: 'rtc.close', reason: 'webrtc_timeout' });
    else expect(desk.sent).toEqual([]);
  });

  it('refuses a mode the cloud has no TURN URL for', async () => {
    const desk = standInDesktop({ answer: false });
    const attempt = viewDesktop({
      instanceId: 'inst-1',
      mode: 'turn-relay',
      timeoutMs: 500,
      turn: { ...TURN, urls: ['turn:127.0.0.1:9?transport=udp'] },
      signalling: desk.signalling,
      logger,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'webrtc_no_turn' });
    expect(desk.sent).toEqual([]);
  });
});
