import { randomBytes } from 'node:crypto';
import {
  CHANNEL_KINDS,
  type ChannelKind,
  type CredentialKind,
  parseRouteResponse,
  type RestRoute,
  ROUTE_LIST,
  type RouteName,
  routePath,
  routes,
  successStatusOf,
} from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type HttpResult, startTestCloud, type TestCloud, type TestSocket } from './test-helpers.ts';

/**
 * Least privilege, walked route by route: every REST route of the protocol's route table (which
 * says who may call it, and which the cloud registers from, as its `http.routes` start-up line
 * shows) is called without a credential, with a credential of another trust zone, with a revoked
 * bearer, as a user of another workspace, as a Member and as an Owner. The same well-formed
 * request that an Owner (or the allowed holder) gets a 2xx for is refused to everyone else, with
 * an error code the table lists for the route, and the refusals change nothing; the 2xx answers
 * match the table's schemas. Then every route and every real-time channel gets junk: always a
 * 4xx (or an `error` frame on an open socket), never a 5xx or a crash.
 */

type User = Awaited<ReturnType<TestCloud['user']>>;

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
  /** invited to the workspace in the setup, has not answered yet */
  invitee: User;
  invitationId: string;
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

/**
 * How to call a route well-formed. Method, path, who may call it and the success status come
 * from the protocol's route table; this only adds the fixture's ids and bodies.
 */
interface RouteCase {
  /** path ids other than the fixture's usual one for each name (see `ids`) */
  params?: (f: Fixture) => Record<string, string>;
  body?: (f: Fixture) => unknown;
  /** the allowed caller when it is not the owner's bearer (e.g. sign-out must not kill the owner's bearer) */
  as?: (f: Fixture) => Promise<string> | string;
}

const KEY = `PLANTED-permission-walk-key-${randomBytes(6).toString('hex')}`;
const PASSWORD = 'correct horse battery';

/** The fixture's id for each path id name. */
const ids = (f: Fixture): Record<string, string> => ({
  wid: f.wid,
  aid: f.agentId,
  iid: f.desktopId,
  uid: f.member.id,
  tid: f.taskId,
  cid: f.conversationId,
});

/**
 * One case per route of the table (a route without one does not compile), walked in this order:
 * a route that ends something (key removal, member removal) comes after those that need it.
 */
const CASES: { [K in RouteName]: RouteCase } = {
  health: {},
  getOpenApi: {},
  signUp: { body: () => ({ email: `new-${randomBytes(4).toString('hex')}@example.test`, password: PASSWORD, name: 'New' }) },
  signIn: { body: (f) => ({ email: f.member.email, password: PASSWORD }) },
  getMe: {},
  createWorkspace: { body: () => ({ name: 'Another' }) },
  changePassword: {
    body: () => ({ currentPassword: PASSWORD, newPassword: 'another long password' }),
    as: async () => (await t.user('Changer', PASSWORD)).bearer,
  },
  signOut: { as: async () => (await t.user('Leaver', PASSWORD)).bearer },
  getWorkspace: {},
  listMembers: {},
  inviteMember: { body: (f) => ({ email: f.newcomer.email, role: 'member' }) },
  listInvitations: { as: (f) => f.invitee.bearer },
  acceptInvitation: { params: (f) => ({ vid: f.invitationId }), as: (f) => f.invitee.bearer },
  createGatewayToken: { body: () => ({ deviceName: 'laptop' }) },
  createInstance: { body: () => ({ name: 'desk 2' }) },
  listInstances: {},
  addViewer: {},
  removeViewer: {},
  createAgent: { body: () => ({ name: 'Writer', provider: 'lab', model: 'lab-model', baseUrl: 'https://llm.test/v1' }) },
  listAgents: {},
  updateAgent: { body: () => ({ model: 'lab-model-2' }) },
  setAgentKey: { body: () => ({ apiKey: KEY }) },
  removeAgentKey: {},
  listTaskStatuses: {},
  getTranscript: {},
  signOutMember: { params: (f) => ({ uid: f.spare.id }) },
  removeMember: { params: (f) => ({ uid: f.spare.id }) },
  // the bearer mints user tokens, a gateway token gateway tokens, an instance token daemon tokens
  mintRealtimeToken: { body: () => ({ channel: 'user' }) },
  getTurnCredentials: {},
};

type Walked = RouteCase & { route: RestRoute; ok: number; path: (f: Fixture) => string };
const ROUTES: Walked[] = (Object.entries(CASES) as [RouteName, RouteCase][]).map(([name, c]) => ({
  ...c,
  route: routes[name],
  ok: successStatusOf(routes[name]),
  path: (f: Fixture) => routePath(routes[name], { ...ids(f), ...c.params?.(f) }),
}));
const walked = (name: RouteName) => ROUTES.find((c) => c.route.name === name)!;
const label = (c: Walked) => `${c.route.method} ${c.route.path}`;

/** A credential of each trust zone other than the bearer, by its kind. */
const otherZones = (f: Fixture): [CredentialKind, string][] => [
  ['gateway', f.ownerGateway],
  ['instance', f.desktopToken],
];

let t: TestCloud;
let f: Fixture;

const call = (c: Walked, auth: string | undefined, body = c.body?.(f)) =>
  t.http(c.route.method, c.path(f), { ...(auth ? { auth } : {}), ...(body === undefined ? {} : { body }) });

/** A refusal's code is one the route table lists for the route. */
function expectListedError(c: Walked, res: HttpResult, what: string): void {
  expect(c.route.errors, `${label(c)} ${what}: ${res.text}`).toContain(res.body?.error?.code);
}

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
  const [owner, member, spare, outsider, revoked, newcomer, invitee] = await Promise.all(
    ['Owner', 'Member', 'Spare', 'Outsider', 'Revoked', 'Newcomer', 'Invitee'].map((n) => t.user(n, PASSWORD)),
  );
  const as = (u: User) => ({ auth: u!.bearer });
  const wid = (await t.http('POST', '/v1/workspaces', { ...as(owner!), body: { name: 'Acme' } })).body.id as string;
  await t.http('POST', '/v1/workspaces', { ...as(outsider!), body: { name: 'Elsewhere' } });
  for (const [u, role] of [
    [member, 'member'],
    [spare, 'member'],
    [revoked, 'member'],
  ] as const) {
    const invited = await t.http('POST', `/v1/workspaces/${wid}/invitations`, { ...as(owner!), body: { email: u!.email, role } });
    expect(invited.status).toBe(201);
    expect((await t.http('POST', `/v1/invitations/${invited.body.id}/accept`, as(u!))).status).toBe(200);
  }
  const invitation = await t.http('POST', `/v1/workspaces/${wid}/invitations`, {
    ...as(owner!),
    body: { email: invitee!.email, role: 'member' },
  });
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
    invitee: invitee!,
    invitationId: invitation.body.id,
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
    expect([...line.routes].sort()).toEqual(ROUTES.map(label).sort());
    expect(ROUTES.map((c) => c.route.name).sort()).toEqual(ROUTE_LIST.map((r) => r.name).sort());
  });

  it('refuses without a credential, with another trust zone, with a revoked bearer, to outsiders and to members', async () => {
    const before = await snapshot();
    for (const c of ROUTES) {
      const { access, credentials } = c.route;
      if (access === 'anyone') continue;
      const none = await call(c, undefined);
      expect(none.status, `${label(c)} without a credential`).toBe(401);
      expect(none.body.error.code).toBe('unauthenticated');
      expectListedError(c, none, 'without a credential');
      expect((await call(c, f.revoked.bearer)).status, `${label(c)} with a signed-out bearer`).toBe(401);
      expect((await call(c, `mcb_${randomBytes(32).toString('base64url')}`)).status, `${label(c)} forged bearer`).toBe(401);
      // a credential of a trust zone the route does not take is refused by its kind
      for (const [kind, other] of otherZones(f)) {
        if (credentials.includes(kind)) continue;
        expect((await call(c, other)).status, `${label(c)} with ${other.slice(0, 4)}`).toBe(401);
      }
      if (access === 'signed-in') continue;
      const outsider = await call(c, f.outsider.bearer);
      expect(outsider.status, `${label(c)} as another workspace's owner`).toBe(404);
      expect(outsider.body.error.code).toBe('not_found');
      expectListedError(c, outsider, "as another workspace's owner");
      if (access === 'owner') {
        const member = await call(c, f.member.bearer);
        expect(member.status, `${label(c)} as a member`).toBe(403);
        expect(member.body.error.code).toBe('forbidden');
        expectListedError(c, member, 'as a member');
      }
    }
    // nothing any refused call asked for happened
    expect(await snapshot()).toEqual(before);
  });

  it('the real-time token endpoint mints only the channel of the credential, and TURN needs a bearer or instance', async () => {
    const token = walked('mintRealtimeToken');
    const turn = walked('getTurnCredentials');
    const holders: Record<ChannelKind, string> = { user: f.member.bearer, gateway: f.memberGateway, daemon: f.desktopToken };
    for (const [channel, credential] of Object.entries(holders)) {
      for (const asked of CHANNEL_KINDS) {
        const res = await call(token, credential, { channel: asked });
        expect(res.status, `${channel} credential asking for ${asked}`).toBe(asked === channel ? 200 : 403);
        if (asked !== channel) expectListedError(token, res, `${channel} credential asking for ${asked}`);
      }
    }
    expect((await call(turn, f.memberGateway)).status).toBe(401);
    expect((await call(turn, f.desktopToken)).status).toBe(200);
    expect((await call(turn, f.member.bearer)).status).toBe(200);
  });

  it('a member may read the workspace, see only desktops and their own gateways, and never a key', async () => {
    for (const c of ROUTES.filter((r) => r.route.access === 'member')) {
      const res = await call(c, f.member.bearer);
      expect(res.status, `${label(c)} as a member`).toBe(c.ok);
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
      const auth = c.as ? await c.as(f) : c.route.access === 'anyone' ? undefined : f.owner.bearer;
      const res = await call(c, auth);
      expect(res.status, `${label(c)}: ${res.text}`).toBe(c.ok);
      // the answer is what the table says, field for field
      expect(() => parseRouteResponse(c.route, res.body), label(c)).not.toThrow();
      if (c.route === routes.setAgentKey) {
        // set, and never returned: only whether one is set and its fingerprint
        expect(res.text).not.toContain(KEY);
        expect(res.body.key).toMatchObject({ set: true, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
      }
    }
    const agents = await t.http('GET', `/v1/workspaces/${f.wid}/agents`, { auth: f.owner.bearer });
    expect(agents.text).not.toContain(KEY);
  });
});

describe('membership needs the invitee to say yes', () => {
  it('an invitation makes nobody a member, gives the inviter no power over the invitee, and only the invitee can accept it', async () => {
    const stranger = await t.user('Stranger', PASSWORD);
    const target = await t.user('Target', PASSWORD);
    const own = (await t.http('POST', '/v1/workspaces', { auth: stranger.bearer, body: { name: 'Trap' } })).body.id as string;
    const invited = await t.http('POST', `/v1/workspaces/${own}/invitations`, {
      auth: stranger.bearer,
      body: { email: target.email, role: 'member' },
    });
    expect(invited.status).toBe(201);
    expect(invited.body.status).toBe('pending');
    const members = await t.http('GET', `/v1/workspaces/${own}/members`, { auth: stranger.bearer });
    expect(members.body.members.map((m: { userId: string }) => m.userId)).not.toContain(target.id);
    // neither forced sign-out nor removal reaches someone who never joined
    for (const [method, path] of [
      ['POST', `/v1/workspaces/${own}/members/${target.id}/sign-out`],
      ['DELETE', `/v1/workspaces/${own}/members/${target.id}`],
    ] as const) {
      expect((await t.http(method, path, { auth: stranger.bearer })).status, `${method} ${path}`).toBe(404);
    }
    expect((await t.http('GET', '/v1/me', { auth: target.bearer })).status).toBe(200);
    // nobody but the invitee accepts: not the inviter, not a third account
    for (const other of [stranger, f.outsider]) {
      expect((await t.http('POST', `/v1/invitations/${invited.body.id}/accept`, { auth: other.bearer })).status).toBe(404);
    }
    const waiting = await t.http('GET', '/v1/invitations', { auth: target.bearer });
    expect(waiting.body.invitations.map((v: { id: string }) => v.id)).toContain(invited.body.id);
    const accepted = await t.http('POST', `/v1/invitations/${invited.body.id}/accept`, { auth: target.bearer });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ id: own, role: 'member' });
    expect((await t.http('POST', `/v1/invitations/${invited.body.id}/accept`, { auth: target.bearer })).status).toBe(409);
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
      const { method } = c.route;
      const path = c.path({ ...f, wid });
      const auths = [undefined, fresh.bearer, f.ownerGateway, f.desktopToken];
      const attempts: { path: string; raw?: string | Buffer }[] = [];
      if (c.body) for (const raw of JUNK_BODIES) attempts.push({ path, raw });
      // every path id (a `:name` segment of the route) replaced by junk, one at a time
      const pattern = c.route.path.split('/');
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
          const what = `${method} ${a.path.slice(0, 80)} ${String(a.raw).slice(0, 30)}`;
          expect(res.status, what).toBeLessThan(500);
          // a junk id that is still a well-formed id may be a read of nothing (an unknown task has
          // no statuses); anything that would change state, and every malformed input, is a 4xx
          if (res.status < 400) expect(`${method} ${res.status} ${res.text}`, what).toBe('GET 200 {"statuses":[]}');
          else expectListedError(c, res, what);
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
