import assert from 'node:assert/strict';
import { inviteAndAccept } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { assertFramesIdentical, cloudDesktopId, DAEMON_HOST, labOwner, type ViewResult, view } from './webrtc-support.ts';

const VIEWER_HOST = 's1-d1';
const OUTSIDER_HOST = 's1-d2';
const MEMBER_HOST = 's1-d3';
/** a candidate line pointing at an address an attacker would like the desktop to talk to (one port per attacker) */
const FORGED_ADDRESS = '198.19.1.12';
const forgedCandidate = (port: number) => `candidate:1 1 udp 2130706431 ${FORGED_ADDRESS} ${port} typ host`;

interface SignalAnswer {
  answered: boolean;
  code?: string;
  message?: string;
}

/**
 * ICE signalling is only as open as the WSS session it rides on. While the owner views the cloud
 * desktop, three parties try to get candidates into that session: a socket without a valid token
 * (refused at the upgrade), a signed-in user of another workspace, and a member of the desktop's
 * workspace who is not on its viewer list (each refused per frame by the cloud, and logged). The
 * owner's session streams on, every frame intact, and the desktop — which logs every candidate it
 * is handed — was handed none of theirs.
 */
export default defineScenario({
  id: 'S24-webrtc-candidate-injection',
  title: 'Candidates cannot be injected: unauthenticated, foreign and unauthorised sockets are refused and logged',
  claims: ['NS-37', 'NS-36'],
  tags: ['webrtc', 'tokens'],
  needs: [],
  desktopHosts: 3,
  timeoutMs: 150_000,
  async run(ctx) {
    const { lab, api } = ctx;
    const owner = labOwner(lab);
    const instanceId = cloudDesktopId(lab);
    const outsider = await ctx.account('outsider');
    await ctx.workspace(outsider);
    const member = await ctx.account('member');
    await inviteAndAccept(api, { ownerBearer: owner.bearer, wid: lab.workspaceId, member });
    const viewer = await ctx.useDesktop(VIEWER_HOST, owner);
    const outsiderApp = await ctx.useDesktop(OUTSIDER_HOST, outsider);
    const memberApp = await ctx.useDesktop(MEMBER_HOST, member);

    // the owner's session: 240 frames at the desktop's rate take long enough for every attempt
    const frames = 240;
    const mark = viewer.mark();
    const since = Date.now();
    const viewing = view(lab, viewer, 'turn-relay', { frames, timeoutMs: 45_000 });
    viewing.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    const connected = await ctx.step('the owner is viewing the cloud desktop', () =>
      viewer.waitForEvent({ event: 'webrtc.connected' }, { since: mark, timeoutMs: 30_000 }),
    );
    const sessionId = String(connected.json?.sessionId);
    const candidate = (port: number) => ({
      type: 'rtc.candidate',
      sessionId,
      candidate: { candidate: forgedCandidate(port), sdpMid: '0' },
    });
    const freshId = (tag: string) => `${sessionId.slice(0, -4)}${tag.repeat(4)}`;
    /** waits until the cloud has logged each reason for refusing `subject`'s frames */
    const assertRefusalsLogged = async (subject: string, reasons: string[]) => {
      for (const reason of reasons) {
        await ctx.waitForLog('cloud', { event: 'rtc.refused', subject, reason }, { since, timeoutMs: 10_000 }).catch(() => {
          const logged = ctx.events('cloud', { event: 'rtc.refused', subject }, since).map((e) => String(e.reason));
          throw new Error(`the cloud did not log "${reason}" for ${subject}; it logged: ${logged.join('; ') || 'nothing'}`);
        });
      }
    };

    await ctx.check(['NS-37'], 'a socket without a valid token is refused at the upgrade, and the cloud logs it', async () => {
      const attempt = await ctx.tryRealtime('user', 'not-a-token');
      assert.equal(attempt.accepted, false, 'the cloud accepted a real-time socket with a forged token');
      assert.equal(attempt.status, 401);
      // the log line and the HTTP answer travel different paths to the harness: wait for the line
      await ctx.waitForLog('cloud', { event: 'ws.refused', status: 401 }, { since, timeoutMs: 10_000 });
    });

    const tryFrom = async (app: typeof viewer, frame: { type: string } & Record<string, unknown>): Promise<SignalAnswer> =>
      app.call('sendSignal', { frame, waitMs: 5_000 });

    await ctx.check(['NS-37'], 'a user of another workspace: candidate and offers refused, logged with their id', async () => {
      const c = await tryFrom(outsiderApp, candidate(40123));
      assert.equal(c.answered, true, 'the cloud did not answer the injected candidate');
      assert.equal(c.code, 'forbidden', `the candidate was answered ${c.code}: ${c.message}`);
      const hijack = await tryFrom(outsiderApp, { type: 'rtc.offer', sessionId, instanceId, sdp: 'v=0\r\n' });
      assert.equal(hijack.code, 'forbidden', `an offer reusing the live session id was answered ${hijack.code}`);
      const own = await tryFrom(outsiderApp, { type: 'rtc.offer', sessionId: freshId('a'), instanceId, sdp: 'v=0\r\n' });
      assert.equal(own.code, 'forbidden', `an offer for the desktop was answered ${own.code}: ${own.message}`);
      await assertRefusalsLogged(outsider.id, [
        'socket does not own this session',
        'session id already in use',
        'viewer is not a member of the desktop workspace',
      ]);
    });

    await ctx.check(['NS-37'], 'a member without access to this desktop: candidate and offer refused, logged', async () => {
      const c = await tryFrom(memberApp, candidate(40124));
      assert.equal(c.code, 'forbidden', `the candidate was answered ${c.code}: ${c.message}`);
      const o = await tryFrom(memberApp, {
        type: 'rtc.offer',
        sessionId: freshId('b'),
        instanceId,
        sdp: 'v=0\r\n',
      });
      assert.equal(o.code, 'forbidden', `the offer was answered ${o.code}: ${o.message}`);
      await assertRefusalsLogged(member.id, ['socket does not own this session', 'viewer is not on the desktop viewer list']);
    });

    const result: ViewResult = await ctx.check(
      ['NS-37'],
      "the owner's session was unaffected: every frame arrived intact",
      async () => {
        const r = await viewing;
        assert.equal(r.sessionId, sessionId);
        assert.equal(r.sha256.length, frames);
        assertFramesIdentical(lab, r);
        return r;
      },
    );
    const daemon = `${DAEMON_HOST}-daemon`;
    // the desktop handles its cloud frames in order and logs each candidate as it takes it: once it
    // has logged the session's close (sent after every attempt above), every candidate is on record
    const closed = await ctx.step('the desktop closed the owner session', () =>
      ctx.waitForLog(daemon, { event: 'rtc.session.closed', sessionId: result.sessionId }, { since, timeoutMs: 20_000 }),
    );
    const received = ctx.events(daemon, { event: 'rtc.candidate.received', sessionId: result.sessionId }, since);
    ctx.note('rtc.candidates_received', { count: received.length, candidates: received.map((e) => String(e.candidate)) });

    await ctx.check(
      ['NS-36'],
      "the owner's offer (its candidates inside) reached the desktop through the cloud's WSS relay",
      async () => {
        const opened = ctx.events('cloud', { event: 'rtc.session_opened', sessionId: result.sessionId }, since);
        assert.equal(opened.length, 1, 'the cloud did not relay the offer of this session');
        assert.equal(opened[0]!.viewerUserId, owner.id, 'the cloud relayed it for another user');
        const offered = ctx.events(daemon, { event: 'rtc.session.offer', sessionId: result.sessionId }, since);
        assert.equal(offered.length, 1, 'the desktop did not get the offer of this session');
      },
    );

    await ctx.check(['NS-37'], 'the desktop was handed none of the injected candidates', async () => {
      const foreign = received.map((e) => String(e.candidate)).filter((c) => c.includes(` ${FORGED_ADDRESS} `));
      assert.deepEqual(foreign, [], 'the cloud handed the desktop a candidate injected by another user');
      const rejected = ctx.events(daemon, { event: 'rtc.candidate.rejected' }, since);
      assert.deepEqual(rejected, [], 'the desktop was handed a candidate it had to reject');
      assert.match(String(closed.json?.reason), /viewer closed/, `the session ended early: ${String(closed.json?.reason)}`);
    });
  },
});
