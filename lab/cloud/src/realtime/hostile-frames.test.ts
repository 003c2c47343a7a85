/**
 * Property-based hostile input against the real-time endpoint of a real cloud (loopback HTTPS,
 * fresh PostgreSQL). Whatever a client sends — garbage, frames too big, well-formed frames out
 * of order or twice, frames after its token died — the cloud answers with a protocol error
 * (an `error` frame, or a close with a documented code) and keeps serving a well-behaved
 * client connected at the same time. Runs are bounded and seeded: a failure prints the seed
 * and path that replay it (FC_SEED overrides the seed).
 */
import { once } from 'node:events';
import {
  type ChannelKind,
  CLOSE_CODES,
  MAX_FRAME_BYTES,
  parseClientFrame,
  type ServerFrame,
  TaskState,
} from '@multiclaw-lab/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestCloud, type TestCloud, type TestSocket } from '../test-helpers.ts';

const SEED = Number(process.env.FC_SEED ?? 20_260_401);
// `timeout` only turns a hang (a frame the cloud never answers) into a failure that names its seed.
const runs = (numRuns: number) => ({ seed: SEED, numRuns, timeout: 15_000 });
// Where a failure is mostly a socket left open, shrinking would wait out that timeout at every step.
const runsNoShrink = (numRuns: number) => ({ ...runs(numRuns), endOnFailure: true });

type AnySocket = TestSocket<ChannelKind>;
type AnyFrame = ServerFrame<ChannelKind>;

let t: TestCloud;
let owner: Awaited<ReturnType<TestCloud['user']>>;
let desktopToken: string;
let desktopId: string;
let gatewayInstanceId: string;
let gatewayToken: string;
let bystander: AnySocket;
const hostile = new Map<ChannelKind, AnySocket>();

beforeAll(async () => {
  t = await startTestCloud();
  owner = await t.user('Owner');
  const wid = (await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id as string;
  const desktop = (await t.http('POST', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer, body: { name: 'desk' } })).body;
  desktopToken = desktop.instanceToken;
  desktopId = desktop.instance.id;
  const gateway = (
    await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: owner.bearer, body: { deviceName: 'pc' } })
  ).body;
  gatewayToken = gateway.authToken;
  gatewayInstanceId = gateway.instanceId;
  // The well-behaved client: a second cloud desktop (its 24 h token outlives the expiry property).
  const other = (await t.http('POST', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer, body: { name: 'other' } })).body;
  bystander = (await t.connect('daemon', other.instanceToken)) as AnySocket;
  hostile.set('user', (await t.connect('user', owner.bearer)) as AnySocket);
  hostile.set('gateway', (await t.connect('gateway', gatewayToken)) as AnySocket);
  hostile.set('daemon', (await t.connect('daemon', desktopToken)) as AnySocket);
});
afterAll(() => t?.cloud.close());

/** Resolves with the first frame received at or after index `from` that matches; rejects if the socket closes first. */
function frameAfter(client: AnySocket, from: number, matches: (f: AnyFrame) => boolean): Promise<AnyFrame> {
  return new Promise((resolve, reject) => {
    if (client.socket.readyState !== WebSocket.OPEN) {
      void client.closed.then(({ code, reason }) => reject(new Error(`socket was closed earlier: ${code} ${reason}`)));
      return;
    }
    const check = () => {
      const found = client.received.slice(from).find(matches);
      if (!found) return;
      cleanup();
      resolve(found);
    };
    const onClose = (code: number, reason: Buffer) => {
      cleanup();
      reject(new Error(`socket closed with ${code} ${reason} before the awaited frame`));
    };
    const cleanup = () => {
      client.socket.off('message', check);
      client.socket.off('close', onClose);
    };
    // TestSocket's own listener was added first, so `received` already holds the new frame.
    client.socket.on('message', check);
    client.socket.on('close', onClose);
    check();
  });
}

/** Frames the cloud pushes on its own or relays from the other side (never answers to this client's own frames). */
const PUSHES = new Set(['config.sync', 'event.task', 'rtc.offer', 'rtc.answer', 'rtc.candidate', 'rtc.close']);
let probes = 0;

/**
 * Sends `payloads` (a Uint8Array goes as a binary frame), then a probe frame that gets an answer
 * of its own: a transcript on the gateway and daemon channels, a frame of an unknown type on the
 * user channel (which has no frame the cloud acknowledges). Frames of one socket are handled in
 * order, so once the probe's answer arrives, everything the cloud will ever answer to `payloads`
 * has arrived: that list is returned.
 */
async function answersTo(client: AnySocket, ...payloads: (string | Uint8Array)[]): Promise<AnyFrame[]> {
  const from = client.received.length;
  for (const payload of payloads) client.socket.send(payload);
  const probe = `probe.${++probes}`;
  const isProbeAnswer =
    client.channel === 'user'
      ? (f: AnyFrame) => f.type === 'error' && f.ref === probe
      : (f: AnyFrame) => f.type === 'transcript.ack' && f.conversationId === probe;
  client.send(
    client.channel === 'user' ? { type: probe } : { type: 'transcript.sync', conversationId: probe, revision: 0, messages: [] },
  );
  const probeAnswer = await frameAfter(client, from, isProbeAnswer);
  return client.received.slice(from).filter((f) => f !== probeAnswer && !PUSHES.has(f.type));
}

let echoes = 0;
/** The well-behaved client still gets its pong and its transcript acknowledged. */
async function bystanderStillServed(): Promise<void> {
  expect(bystander.socket.readyState).toBe(WebSocket.OPEN);
  const n = ++echoes;
  const from = bystander.received.length;
  const pong = once(bystander.socket, 'pong');
  bystander.socket.ping();
  bystander.send({ type: 'transcript.sync', conversationId: `bystander-${n}`, revision: n, messages: [] });
  await pong;
  await frameAfter(bystander, from, (f) => f.type === 'transcript.ack' && f.conversationId === `bystander-${n}`);
}

// --- generators ----------------------------------------------------------------------------

const CLIENT_TYPES = [
  'task.status',
  'transcript.sync',
  'config.ack',
  'rtc.offer',
  'rtc.answer',
  'rtc.candidate',
  'rtc.close',
] as const;
const channelArb = fc.constantFrom<ChannelKind>('user', 'gateway', 'daemon');
/** Any character but NUL (refused on its own, tested elsewhere), astral ones included; never half a surrogate pair. */
const codeUnit = fc
  .oneof(
    fc.integer({ min: 1, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0xffff }),
    fc.integer({ min: 0x10000, max: 0x10ffff }),
  )
  .map((c) => String.fromCodePoint(c));
/** Half a surrogate pair: JSON can carry it as an escape, PostgreSQL cannot store it. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyText = (maxLength: number) => fc.string({ unit: codeUnit, maxLength });
const notJson = fc
  .string({ unit: fc.oneof(codeUnit, fc.constantFrom('{', '}', '[', '"', ':', ',')), maxLength: 200 })
  .filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  });
const notAnObject = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string(), fc.array(fc.jsonValue()));
const unknownType = fc
  .oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string()))
  .filter(
    (type) => !(CLIENT_TYPES as readonly unknown[]).includes(type) && !(typeof type === 'string' && type.startsWith('probe.')),
  );
/** A known type with its other fields random: missing, wrong types, wrong values. */
const knownTypeWrongFields = fc.record({
  type: fc.constantFrom(...CLIENT_TYPES),
  rest: fc.dictionary(
    fc.oneof(fc.constantFrom('taskId', 'seq', 'state', 'revision', 'messages', 'version', 'sessionId', 'sdp'), fc.string()),
    fc.jsonValue(),
  ),
});
const hugeField = fc
  .record({
    type: fc.constantFrom(...CLIENT_TYPES),
    field: fc.constantFrom('taskId', 'conversationId', 'sessionId', 'sdp', 'detail'),
  })
  .chain(({ type, field }) =>
    fc.integer({ min: 65_000, max: MAX_FRAME_BYTES - 200 }).map((length) => ({ type, [field]: 'x'.repeat(length) })),
  );
// At most 6 bytes a level, so even the deepest stays within the maximum payload.
const deepNesting = fc
  .record({ depth: fc.integer({ min: 64, max: 150_000 }), open: fc.constantFrom('[', '{"a":'), inFrame: fc.boolean() })
  .map(({ depth, open, inFrame }) => {
    const close = open === '[' ? ']' : '}';
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return inFrame ? `{"type":"transcript.sync","conversationId":"c","revision":1,"messages":${nested}}` : nested;
  });

/** A frame no channel accepts, and what kind of garbage it is (for the counterexample). */
const malformedFrame = fc.oneof(
  notJson.map((text) => ({ kind: 'not JSON', payload: text as string | Uint8Array })),
  notAnObject.map((value) => ({ kind: 'not an object', payload: JSON.stringify(value) })),
  fc
    .record({ type: unknownType, rest: fc.dictionary(fc.string(), fc.jsonValue()) })
    .map(({ type, rest }) => ({ kind: 'unknown type', payload: JSON.stringify({ ...rest, type }) })),
  knownTypeWrongFields.map(({ type, rest }) => ({ kind: 'wrong fields', payload: JSON.stringify({ ...rest, type }) })),
  hugeField.map((frame) => ({ kind: 'huge string', payload: JSON.stringify(frame) })),
  deepNesting.map((text) => ({ kind: 'deep nesting', payload: text })),
  fc.uint8Array({ maxLength: 4096 }).map((bytes) => ({ kind: 'binary', payload: bytes })),
  fc.record({ lone: loneSurrogate, where: fc.constantFrom('content', 'detail', 'conversationId') }).map(({ lone, where }) => {
    const message = { role: 'user', content: where === 'content' ? `a${lone}b` : 'a', at: '2026-04-01T09:00:00Z' };
    const frame =
      where === 'detail'
        ? { type: 'task.status', taskId: 'lone', seq: 1, state: 'running', detail: lone, at: '2026-04-01T09:00:00Z' }
        : { type: 'transcript.sync', conversationId: where === 'conversationId' ? lone : 'c', revision: 1, messages: [message] };
    return { kind: 'lone surrogate', payload: JSON.stringify(frame) };
  }),
  fc
    .record({
      frame: fc.constantFrom(
        { type: 'task.status', taskId: 't', state: 'running', detail: '', at: '2026-04-01T09:00:00Z' },
        { type: 'transcript.sync', conversationId: 'c', messages: [] },
        { type: 'config.ack' },
      ),
      value: fc.oneof(fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(-1, 0.5, 1e308, 2 ** 53)),
    })
    .map(({ frame, value }) => {
      const field = frame.type === 'task.status' ? 'seq' : frame.type === 'config.ack' ? 'version' : 'revision';
      return { kind: 'counter out of range', payload: JSON.stringify({ ...frame, [field]: value }) };
    }),
  fc.constant({ kind: 'empty', payload: '' }),
);

const isoTime = fc
  .date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const id = fc.oneof(fc.constantFrom('t-1', 't-2', 'c-1', 'c-2'), fc.string({ unit: codeUnit, minLength: 1, maxLength: 64 }));
/** The part of a session id after the run's tag (7 characters): ids of one run never meet another run's. */
const sessionId = fc.oneof(
  { arbitrary: fc.constantFrom('s-1', 's-2'), weight: 3 },
  { arbitrary: fc.string({ unit: codeUnit, minLength: 1, maxLength: 28 }), weight: 1 },
);
/** Counters from the small ones a client really sends to the largest a frame may carry (a PostgreSQL integer). */
const MAX_COUNTER = 2 ** 31 - 1;
const counter = (min: number) =>
  fc.oneof(fc.integer({ min, max: 5 }), fc.integer({ min, max: MAX_COUNTER }), fc.constant(MAX_COUNTER));

const taskStatus = fc.record({
  type: fc.constant('task.status' as const),
  taskId: id,
  seq: counter(1),
  state: fc.constantFrom(...TaskState.options),
  detail: anyText(2000),
  at: isoTime,
});
const transcriptSync = fc.record({
  type: fc.constant('transcript.sync' as const),
  conversationId: id,
  revision: counter(0),
  messages: fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system'), content: anyText(300), at: isoTime }), {
    maxLength: 3,
  }),
});
const configAck = fc.record({ type: fc.constant('config.ack' as const), version: counter(0) });
const candidate = fc.record({ candidate: anyText(100), sdpMid: fc.constant('0'), sdpMLineIndex: fc.constant(0) });
const rtcForeign = fc.oneof(
  fc.record({ type: fc.constant('rtc.candidate' as const), sessionId, candidate }),
  fc.record({ type: fc.constant('rtc.close' as const), sessionId, reason: anyText(200) }),
);
const rtcAnswer = fc.record({
  type: fc.constant('rtc.answer' as const),
  sessionId,
  sdp: anyText(500).filter((s) => s.length > 0),
});
const rtcOffer = fc.record({
  type: fc.constant('rtc.offer' as const),
  sessionId,
  instanceId: fc.oneof(fc.constant('desktop'), fc.constant('gateway'), id),
  sdp: fc.constant('v=0'),
});

/** Well-formed frames of a channel. */
const wellFormedFor = (channel: ChannelKind) =>
  channel === 'user'
    ? fc.oneof(rtcForeign, rtcOffer)
    : channel === 'gateway'
      ? fc.oneof(taskStatus, transcriptSync, configAck)
      : fc.oneof(taskStatus, transcriptSync, configAck, rtcForeign, rtcAnswer);
/** Well-formed frames from any of the three sockets, in no sensible order; `twice` replays one. */
const wellFormedSequence = fc.array(
  channelArb.chain((channel) => fc.record({ channel: fc.constant(channel), frame: wellFormedFor(channel), twice: fc.boolean() })),
  { minLength: 1, maxLength: 8 },
);

type WellFormed = Record<string, unknown> & { type: string };

/**
 * ICE sessions the hostile viewer opened to the hostile desktop, as the cloud must see them: an
 * offer to the desktop under a free id opens one, an rtc.close from either side ends it.
 */
const openRtcSessions = new Set<string>();
let wellFormedRuns = 0;

/** What the cloud must answer to one well-formed frame sent out of context (and the model's next state). */
function expectAnswered(frame: WellFormed, answers: AnyFrame[]): void {
  const errors = answers.filter((a) => a.type === 'error');
  for (const e of errors) expect(e, `answer to ${frame.type}`).toMatchObject({ code: 'forbidden', ref: frame.type });
  switch (frame.type) {
    case 'task.status': {
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatchObject({ taskId: frame.taskId });
      expect(['task.status.ack', 'task.status.nack']).toContain(answers[0]!.type);
      return;
    }
    case 'transcript.sync':
      expect(answers).toEqual([{ type: 'transcript.ack', conversationId: frame.conversationId, revision: frame.revision }]);
      return;
    case 'config.ack':
      expect(answers).toEqual([]);
      return;
  }
  const sessionId = frame.sessionId as string;
  const relayed =
    frame.type === 'rtc.offer'
      ? frame.instanceId === desktopId && !openRtcSessions.has(sessionId)
      : openRtcSessions.has(sessionId);
  // relayed frames go to the other side and get no answer; the rest are refused, one error each
  expect(answers, `${frame.type} ${relayed ? 'relayed' : 'refused'}`).toHaveLength(relayed ? 0 : 1);
  if (relayed && frame.type === 'rtc.offer') openRtcSessions.add(sessionId);
  if (relayed && frame.type === 'rtc.close') openRtcSessions.delete(sessionId);
}

/** A fresh hostile socket of `channel` (used where a run ends its socket). */
async function connectFresh(channel: ChannelKind): Promise<AnySocket> {
  if (channel === 'user') return (await t.connect('user', owner.bearer)) as AnySocket;
  return (await t.connect(channel, channel === 'gateway' ? gatewayToken : desktopToken)) as AnySocket;
}

/**
 * The hostile socket of `channel`, opened afresh if an earlier run ended it, so that each run
 * (and each shrinking step after a failure) starts from a live socket.
 */
async function liveHostile(channel: ChannelKind): Promise<AnySocket> {
  const current = hostile.get(channel);
  if (current?.socket.readyState === WebSocket.OPEN) return current;
  const fresh = await connectFresh(channel);
  hostile.set(channel, fresh);
  // a viewer or desktop socket that went away took its ICE sessions with it
  if (channel !== 'gateway') openRtcSessions.clear();
  return fresh;
}

describe('hostile real-time frames', () => {
  it('answers any malformed frame with one malformed_message error and keeps the socket and its neighbours served', async () => {
    await fc.assert(
      fc.asyncProperty(channelArb, malformedFrame, async (channel, { payload }) => {
        const client = await liveHostile(channel);
        const answers = await answersTo(client, payload);
        expect(answers).toHaveLength(1);
        expect(answers[0]).toMatchObject({ type: 'error', code: 'malformed_message' });
        expect(client.socket.readyState).toBe(WebSocket.OPEN);
        await bystanderStillServed();
      }),
      runs(100),
    );
  });

  it('closes with 1009 (message too big) on any frame beyond the maximum payload, text or binary, and keeps neighbours served', async () => {
    await fc.assert(
      fc.asyncProperty(channelArb, fc.integer({ min: 1, max: 64 * 1024 }), fc.boolean(), async (channel, excess, binary) => {
        const client = await connectFresh(channel);
        const size = MAX_FRAME_BYTES + excess;
        client.socket.send(binary ? new Uint8Array(size) : 'x'.repeat(size));
        expect((await client.closed).code).toBe(1009);
        await bystanderStillServed();
      }),
      runsNoShrink(12),
    );
  });

  it('answers well-formed frames sent out of order or twice with acks or a forbidden error, never an internal one', async () => {
    await fc.assert(
      fc.asyncProperty(wellFormedSequence, async (sequence) => {
        const runTag = `r${String(++wellFormedRuns).padStart(5, '0')}.`;
        for (const channel of ['user', 'gateway', 'daemon'] as const) await liveHostile(channel);
        openRtcSessions.clear();
        for (const { channel, frame: generated, twice } of sequence) {
          const client = await liveHostile(channel);
          const frame = { ...generated } as WellFormed;
          if (typeof frame.sessionId === 'string') frame.sessionId = runTag + frame.sessionId;
          if (frame.instanceId === 'desktop') frame.instanceId = desktopId;
          if (frame.instanceId === 'gateway') frame.instanceId = gatewayInstanceId;
          // the generators make frames the channel accepts; anything else would test the wrong thing
          parseClientFrame(channel, JSON.stringify(frame));
          const text = JSON.stringify(frame);
          for (const send of twice ? [text, text] : [text]) expectAnswered(frame, await answersTo(client, send));
          expect(client.socket.readyState).toBe(WebSocket.OPEN);
        }
        await bystanderStillServed();
      }),
      runs(60),
    );
  });

  it('serves nothing more on a socket whose credential was signed out: it closes with 4003', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(rtcForeign, { minLength: 1, maxLength: 4 }), async (frames) => {
        const someone = await t.user(`Leaver${++n}`);
        const client = (await t.connect('user', someone.bearer)) as AnySocket;
        const res = await t.http('POST', '/v1/auth/sign-out', { auth: someone.bearer });
        expect(res.status).toBeLessThan(300);
        const from = client.received.length;
        for (const frame of frames) client.send(frame);
        expect((await client.closed).code).toBe(CLOSE_CODES.revoked);
        expect(client.received.slice(from)).toEqual([]);
        await bystanderStillServed();
      }),
      runsNoShrink(15),
    );
  });

  // Last: it moves the cloud's clock, which expires the other properties' tokens.
  it('serves nothing more on a socket whose token expired: the sweep closes it with 4001', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rtcForeign, { minLength: 1, maxLength: 4 }), async (frames) => {
        const client = (await t.connect('user', owner.bearer)) as AnySocket;
        t.clock.advance(4 * 3600 * 1000);
        expect(t.cloud.sweepNow()).toBeGreaterThanOrEqual(1);
        const from = client.received.length;
        for (const frame of frames) client.send(frame);
        expect((await client.closed).code).toBe(CLOSE_CODES.tokenExpired);
        expect(client.received.slice(from)).toEqual([]);
        await bystanderStillServed();
      }),
      runsNoShrink(5), // 5 × 4 h stays inside the bystander's 24 h token
    );
  });
});
