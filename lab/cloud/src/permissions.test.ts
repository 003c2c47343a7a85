import { randomBytes } from 'node:crypto';
import { CHANNEL_KINDS, type ChannelKind } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestCloud, type TestCloud, type TestSocket } from './test-helpers.ts';

/**
 * Least privilege, walked route by route: every REST route the cloud registers (read from its
 * own `http.routes` start-up line, so a new route without an entry here fails this file) is
 * called without a credential, with a credential of another trust zone, with a revoked bearer,
 * as a user of another workspace, as a Member and as an Owner. The same well-formed request that
 * an Owner (or the allowed holder) gets a 2xx for is refused to everyone else, and the refusals
 * change nothing. Then every route and every real-time channel gets junk: always a 4xx (or an
 * `error` frame on an open socket), never a 5xx or a crash.
 */

type User = Awaited<ReturnType<TestCloud['user']>>;
/** who may call a route: `anyone`; `bearer` (any signed-in user, for themself); `member`/`owner` of the workspace in the path; `token`/`turn`: see below */
type Access = 'anyone' | 'bearer' | 'member' | 'owner' | 'token' | 'turn';

interface Fixture {
  owner: User;
  member: User;
  /** member who is the target of the owner's user-directed actions (sign-out, removal) */
  spare: User;
  /** owner of another workspace, member of nothing here */
  outsider: User;
  /** signed out before the walk */
  revoked: User;
  newcomer: User;
  wid: string;
  agentId: string;
  desktopId: string;
  desktopToken: string;
  ownerGatewayId: string;
  ownerGateway: string;
  memberGateway: string;
  taskId: string;
  conversationId: string;
}

interface RouteCase {
  route: string;
  access: Access;
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** status for the allowed caller */
  ok: number;
  /** the allowed caller when it is not the owner's bearer (e.g. sign-out must not kill the owner's bearer) */
  as?: (f: Fixture) => Promise<string> | string;
}

const KEY = `PLANTED-permission-walk-key-${randomBytes(6).toString('hex')}`;
const PASSWORD = 'correct horse battery';

const ROUTES: RouteCase[] = [
  { route: 'GET /healthz', access: 'anyone', path: () => '/healthz', ok: 200 },
  {
    route: 'POST /v1/auth/sign-up',
    access: 'anyone',
    path: () => '/v1/auth/sign-up',
    body: () => ({ email: `new-${randomBytes(4).toString('hex')}@example.test`, password: PASSWORD, name: 'New' }),
    ok: 201,
  },
  {
    route: 'POST /v1/auth/sign-in',
    access: 'anyone',
    path: () => '/v1/auth/sign-in',
    body: (f) => ({ email: f.member.email, password: PASSWORD }),
    ok: 200,
  },
  { route: 'GET /v1/me', access: 'bearer', path: () => '/v1/me', ok: 200 },
  { route: 'POST /v1/workspaces', access: 'bearer', path: () => '/v1/workspaces', body: () => ({ name: 'Another' }), ok: 201 },
  {
    route: 'POST /v1/auth/password',
    access: 'bearer',
    path: () => '/v1/auth/password',
    body: () => ({ currentPassword: PASSWORD, newPassword: 'another long password' }),
    ok: 204,
    as: async () => (await t.user('Changer', PASSWORD)).bearer,
  },
  {
    route: 'POST /v1/auth/sign-out',
    access: 'bearer',
    path: () => '/v1/auth/sign-out',
    ok: 204,
    as: async () => (await t.user('Leaver', PASSWORD)).bearer,
  },
  { route: 'GET /v1/workspaces/:wid', access: 'member', path: (f) => `/v1/workspaces/${f.wid}`, ok: 200 },
  { route: 'GET /v1/workspaces/:wid/members', access: 'member', path: (f) => `/v1/workspaces/${f.wid}/members`, ok: 200 },
  {
    route: 'POST /v1/workspaces/:wid/members',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/members`,
    body: (f) => ({ email: f.newcomer.email, role: 'member' }),
    ok: 201,
  },
  {
    route: 'POST /v1/workspaces/:wid/gateway-tokens',
    access: 'member',
    path: (f) => `/v1/workspaces/${f.wid}/gateway-tokens`,
    body: () => ({ deviceName: 'laptop' }),
    ok: 201,
  },
  {
    route: 'POST /v1/workspaces/:wid/instances',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/instances`,
    body: () => ({ name: 'desk 2' }),
    ok: 201,
  },
  { route: 'GET /v1/workspaces/:wid/instances', access: 'member', path: (f) => `/v1/workspaces/${f.wid}/instances`, ok: 200 },
  {
    route: 'PUT /v1/workspaces/:wid/instances/:iid/viewers/:uid',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/instances/${f.desktopId}/viewers/${f.member.id}`,
    ok: 204,
  },
  {
    route: 'DELETE /v1/workspaces/:wid/instances/:iid/viewers/:uid',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/instances/${f.desktopId}/viewers/${f.member.id}`,
    ok: 204,
  },
  {
    route: 'POST /v1/workspaces/:wid/agents',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/agents`,
    body: () => ({ name: 'Writer', provider: 'lab', model: 'lab-model', baseUrl: 'https://llm.test/v1' }),
    ok: 201,
  },
  { route: 'GET /v1/workspaces/:wid/agents', access: 'member', path: (f) => `/v1/workspaces/${f.wid}/agents`, ok: 200 },
  {
    route: 'PATCH /v1/workspaces/:wid/agents/:aid',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/agents/${f.agentId}`,
    body: () => ({ model: 'lab-model-2' }),
    ok: 200,
  },
  {
    route: 'PUT /v1/workspaces/:wid/agents/:aid/key',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/agents/${f.agentId}/key`,
    body: () => ({ apiKey: KEY }),
    ok: 200,
  },
  {
    route: 'DELETE /v1/workspaces/:wid/agents/:aid/key',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/agents/${f.agentId}/key`,
    ok: 200,
  },
  {
    route: 'GET /v1/workspaces/:wid/tasks/:tid/statuses',
    access: 'member',
    path: (f) => `/v1/workspaces/${f.wid}/tasks/${f.taskId}/statuses`,
    ok: 200,
  },
  {
    route: 'GET /v1/workspaces/:wid/transcripts/:cid',
    access: 'member',
    path: (f) => `/v1/workspaces/${f.wid}/transcripts/${f.conversationId}`,
    ok: 200,
  },
  {
    route: 'POST /v1/workspaces/:wid/members/:uid/sign-out',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/members/${f.spare.id}/sign-out`,
    ok: 204,
  },
  {
    route: 'DELETE /v1/workspaces/:wid/members/:uid',
    access: 'owner',
    path: (f) => `/v1/workspaces/${f.wid}/members/${f.spare.id}`,
    ok: 204,
  },
  // the bearer mints user tokens, a gateway token gateway tokens, an instance token daemon tokens
  {
    route: 'POST /v1/realtime/token',
    access: 'token',
    path: () => '/v1/realtime/token',
    body: () => ({ channel: 'user' }),
    ok: 200,
  },
  // bearer or instance credential; not a gateway token
  { route: 'GET /v1/turn/credentials', access: 'turn', path: () => '/v1/turn/credentials', ok: 200 },
];

let t: TestCloud;
let f: Fixture;

const methodOf = (c: RouteCase) => c.route.split(' ')[0]!;
const call = (c: RouteCase, auth: string | undefined, body = c.body?.(f)) =>
  t.http(methodOf(c), c.path(f), { ...(auth ? { auth } : {}), ...(body === undefined ? {} : { body }) });

/** What the refusals must not change, as the owner sees it (and the member's own view). */
async function snapshot() {
  const base = `/v1/workspaces/${f.wid}`;
  const asOwner = async (path: string) => (await t.http('GET', `${base}${path}`, { auth: f.owner.bearer })).body;
  return {
    members: await asOwner('/members'),
    agents: await asOwner('/agents'),
    instances: await asOwner('/instances'),
    statuses: await asOwner(`/tasks/${f.taskId}/statuses`),
    transcript: await asOwner(`/transcripts/${f.conversationId}`),
    spare: (await t.http('GET', '/v1/me', { auth: f.spare.bearer })).status,
    ownerWorkspaces: (await t.http('GET', '/v1/me', { auth: f.owner.bearer })).body.workspaces,
  };
}

beforeAll(async () => {
  t = await startTestCloud();
  const [owner, member, spare, outsider, revoked, newcomer] = await Promise.all(
    ['Owner', 'Member', 'Spare', 'Outsider', 'Revoked', 'Newcomer'].map((n) => t.user(n, PASSWORD)),
  );
  const as = (u: User) => ({ auth: u!.bearer });
  const wid = (await t.http('POST', '/v1/workspaces', { ...as(owner!), body: { name: 'Acme' } })).body.id as string;
  await t.http('POST', '/v1/workspaces', { ...as(outsider!), body: { name: 'Elsewhere' } });
  for (const [u, role] of [
    [member, 'member'],
    [spare, 'member'],
    [revoked, 'member'],
  ] as const) {
    expect(
      (await t.http('POST', `/v1/workspaces/${wid}/members`, { ...as(owner!), body: { email: u!.email, role } })).status,
    ).toBe(201);
  }
  const agent = await t.http('POST', `/v1/workspaces/${wid}/agents`, {
    ...as(owner!),
    body: { name: 'Agent', provider: 'lab', model: 'lab-model', baseUrl: 'https://llm.test/v1' },
  });
  const desktop = await t.http('POST', `/v1/workspaces/${wid}/instances`, { ...as(owner!), body: { name: 'desk' } });
  const gw = async (u: User) =>
    (await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { ...as(u), body: { deviceName: 'pc' } })).body;
  const ownerGw = await gw(owner!);
  const memberGw = await gw(member!);

  // a task status and a transcript, written the way gateways write them
  const socket = await t.connect('gateway', memberGw.authToken);
  await socket.next('config.sync');
  socket.send({ type: 'task.status', taskId: 'task-1', seq: 1, state: 'queued', detail: '', at: new Date().toISOString() });
  await socket.next('task.status.ack');
  socket.send({ type: 'transcript.sync', conversationId: 'conv-1', revision: 1, messages: [] });
  await socket.next('transcript.ack');
  socket.close();
  await socket.closed;

  expect((await t.http('POST', '/v1/auth/sign-out', as(revoked!))).status).toBe(204);
  f = {
    owner: owner!,
    member: member!,
    spare: spare!,
    outsider: outsider!,
    revoked: revoked!,
    newcomer: newcomer!,
    wid,
    agentId: agent.body.id,
    desktopId: desktop.body.instance.id,
    desktopToken: desktop.body.instanceToken,
    ownerGatewayId: ownerGw.instanceId,
    ownerGateway: ownerGw.authToken,
    memberGateway: memberGw.authToken,
    taskId: 'task-1',
    conversationId: 'conv-1',
  };
});
afterAll(() => t?.cloud.close());

describe('least privilege on every route', () => {
  it('the walk covers exactly the routes the cloud registers', () => {
    const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.event === 'http.routes');
    expect(line, 'the cloud lists its routes at start').toBeDefined();
    expect([...line.routes].sort()).toEqual(ROUTES.map((c) => c.route).sort());
  });

  it('refuses without a credential, with another trust zone, with a revoked bearer, to outsiders and to members', async () => {
    const before = await snapshot();
    for (const c of ROUTES) {
      if (c.access === 'anyone') continue;
      const label = `${c.route}`;
      const none = await call(c, undefined);
      expect(none.status, `${label} without a credential`).toBe(401);
      expect(none.body.error.code).toBe('unauthenticated');
      expect((await call(c, f.revoked.bearer)).status, `${label} with a signed-out bearer`).toBe(401);
      expect((await call(c, `mcb_${randomBytes(32).toString('base64url')}`)).status, `${label} forged bearer`).toBe(401);
      if (c.access === 'token' || c.access === 'turn') continue;
      // REST routes take bearers only: a gateway or instance credential is refused by its kind
      for (const other of [f.ownerGateway, f.desktopToken]) {
        expect((await call(c, other)).status, `${label} with ${other.slice(0, 4)}`).toBe(401);
      }
      if (c.access === 'bearer') continue;
      const outsider = await call(c, f.outsider.bearer);
      expect(outsider.status, `${label} as another workspace's owner`).toBe(404);
      expect(outsider.body.error.code).toBe('not_found');
      if (c.access === 'owner') {
        const member = await call(c, f.member.bearer);
        expect(member.status, `${label} as a member`).toBe(403);
        expect(member.body.error.code).toBe('forbidden');
      }
    }
    // nothing any refused call asked for happened
    expect(await snapshot()).toEqual(before);
  });

  it('the real-time token endpoint mints only the channel of the credential, and TURN needs a bearer or instance', async () => {
    const token = ROUTES.find((c) => c.access === 'token')!;
    const turn = ROUTES.find((c) => c.access === 'turn')!;
    const holders: Record<ChannelKind, string> = { user: f.member.bearer, gateway: f.memberGateway, daemon: f.desktopToken };
    for (const [channel, credential] of Object.entries(holders)) {
      for (const asked of CHANNEL_KINDS) {
        const res = await call(token, credential, { channel: asked });
        expect(res.status, `${channel} credential asking for ${asked}`).toBe(asked === channel ? 200 : 403);
      }
    }
    expect((await call(turn, f.memberGateway)).status).toBe(401);
    expect((await call(turn, f.desktopToken)).status).toBe(200);
    expect((await call(turn, f.member.bearer)).status).toBe(200);
  });

  it('a member may read the workspace, see only desktops and their own gateways, and never a key', async () => {
    for (const c of ROUTES.filter((r) => r.access === 'member')) {
      const res = await call(c, f.member.bearer);
      expect(res.status, `${c.route} as a member`).toBe(c.ok);
    }
    const instances = await t.http('GET', `/v1/workspaces/${f.wid}/instances`, { auth: f.member.bearer });
    const ids = instances.body.instances.map((i: { id: string }) => i.id);
    expect(ids).toContain(f.desktopId);
    expect(ids).not.toContain(f.ownerGatewayId);
    expect(
      instances.body.instances.every(
        (i: { kind: string; userId: string | null }) => i.kind === 'cloud-desktop' || i.userId === f.member.id,
      ),
    ).toBe(true);
  });

  it('the very same requests succeed for the allowed caller (so the refusals above were about who, not what)', async () => {
    for (const c of ROUTES) {
      const auth = c.as ? await c.as(f) : c.access === 'anyone' ? undefined : f.owner.bearer;
      const res = await call(c, auth);
      expect(res.status, `${c.route}: ${res.text}`).toBe(c.ok);
      if (c.route === 'PUT /v1/workspaces/:wid/agents/:aid/key') {
        // set, and never returned: only whether one is set and its fingerprint
        expect(res.text).not.toContain(KEY);
        expect(res.body.key).toMatchObject({ set: true, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
      }
    }
    const agents = await t.http('GET', `/v1/workspaces/${f.wid}/agents`, { auth: f.owner.bearer });
    expect(agents.text).not.toContain(KEY);
  });
});

describe('junk never crashes the cloud', () => {
  const JUNK_BODIES: (string | Buffer)[] = [
    '{',
    '[]',
    'null',
    '"text"',
    '42',
    '{"name": {"$gt": ""}}',
    `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    JSON.stringify({ email: 'x'.repeat(10_000), password: 1, name: null, apiKey: [], channel: {}, deviceName: '\u0000' }),
    Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
  ];
  const JUNK_IDS = ['x'.repeat(65), '%00', 'a%20b', '%C3%A9', '..%2F..%2Fetc', "1'%20OR%20'1'='1"];

  it('every route answers junk bodies and junk path ids with a 4xx ErrorBody (or an empty read), never a 5xx', async () => {
    const fresh = await t.user('Fuzzer', PASSWORD);
    const wid = (await t.http('POST', '/v1/workspaces', { auth: fresh.bearer, body: { name: 'Fuzz' } })).body.id as string;
    for (const c of ROUTES) {
      const method = methodOf(c);
      const path = c.path({ ...f, wid });
      const auths = [undefined, fresh.bearer, f.ownerGateway, f.desktopToken];
      const attempts: { path: string; raw?: string | Buffer }[] = [];
      if (c.body) for (const raw of JUNK_BODIES) attempts.push({ path, raw });
      // every path id (a `:name` segment of the route) replaced by junk, one at a time
      const pattern = c.route.split(' ')[1]!.split('/');
      for (const i of pattern.flatMap((segment, i) => (segment.startsWith(':') ? [i] : []))) {
        for (const junk of JUNK_IDS) {
          const parts = path.split('/');
          parts[i] = junk;
          attempts.push({ path: parts.join('/'), ...(c.body ? { raw: JSON.stringify(c.body({ ...f, wid })) } : {}) });
        }
      }
      for (const a of attempts) {
        for (const auth of auths) {
          const res = await t.http(method, a.path, { ...(auth ? { auth } : {}), ...(a.raw === undefined ? {} : { raw: a.raw }) });
          const label = `${method} ${a.path.slice(0, 80)} ${String(a.raw).slice(0, 30)}`;
          expect(res.status, label).toBeLessThan(500);
          // a junk id that is still a well-formed id may be a read of nothing (an unknown task has
          // no statuses); anything that would change state, and every malformed input, is a 4xx
          if (res.status < 400) expect(`${method} ${res.status} ${res.text}`, label).toBe('GET 200 {"statuses":[]}');
          else expect(res.body?.error?.code, label).toEqual(expect.any(String));
        }
      }
    }
    expect((await t.http('GET', '/healthz')).status).toBe(200);
    expect(t.logs.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });

  it('every real-time channel answers junk frames with an error frame and stays open', async () => {
    const junk: (string | Buffer)[] = [
      '',
      'not json',
      '[]',
      'null',
      '42',
      '{}',
      '{"type":"nope"}',
      '{"type":{"nested":true}}',
      `{"type":"${'x'.repeat(10_000)}"}`,
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      Buffer.from(randomBytes(64)),
      ...[
        'task.status',
        'transcript.sync',
        'config.ack',
        'rtc.offer',
        'rtc.answer',
        'rtc.candidate',
        'rtc.close',
        'welcome',
        'error',
      ].flatMap((type) => [JSON.stringify({ type }), JSON.stringify({ type, sessionId: null, seq: -1, taskId: '\u0000' })]),
    ];
    const credentials: Record<ChannelKind, string> = { user: f.member.bearer, gateway: f.memberGateway, daemon: f.desktopToken };
    for (const channel of CHANNEL_KINDS) {
      const socket = (await t.connect(channel, credentials[channel])) as TestSocket<ChannelKind>;
      for (const frame of junk) {
        socket.socket.send(frame);
        const answer = await socket.next('error');
        expect(['malformed_message', 'forbidden', 'not_found'], `${channel}: ${String(frame).slice(0, 40)}`).toContain(
          answer.code,
        );
      }
      expect(socket.socket.readyState, channel).toBe(WebSocket.OPEN);
      socket.close();
      await socket.closed;
    }
    expect((await t.http('GET', '/healthz')).status).toBe(200);
    expect(t.logs.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });
});
