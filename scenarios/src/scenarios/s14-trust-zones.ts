import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LOCAL_API_FILE,
  LocalApiFile,
  OPENCLAW_CONFIG_FILE,
  OPENCLAW_DIR,
  OpenclawConfig,
  ROUTE_LIST,
  routePath,
  routes,
} from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { localGateway, waitForAgent, waitForSync } from './synced-instances.ts';

const HOST = 's1-d3';
/** where bob's own desktop app and gateway run */
const BOB_HOST = 's1-d2';
const PROMPT = 'hello from S14';
const ALICE_MODEL = 'lab-model-s14-alice';

/** The text of every file under `dir` (what a gateway keeps: config, conversations, outbox). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8').catch(() => '')));
}
const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

/** The claims inside a JWT (no verification: the harness only reads what the cloud put in). */
function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  assert.ok(payload, 'the WSS token is not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Each credential works only in its own zone: the desktop bearer cannot open a gateway channel,
 * the gateway's workspace token cannot call the desktop REST API (nor open the user channel), the
 * cloud desktop's instance token neither, and the gateway's local API refuses cloud credentials.
 * One user's tokens cannot read another's workspace — his bearer gets 403/404 on every read, and
 * over his own gateway's WSS (the channel a gateway token opens) nothing of hers arrives, not
 * even while her workspace's config is being pushed — and roles decide: a Member cannot remove
 * users or manage keys, an Owner can.
 */
export default defineScenario({
  id: 'S14-trust-zones',
  title: 'Trust zones: credentials refused outside their zone, users isolated, Members cannot remove users',
  claims: ['NS-03', 'NS-05', 'NS-20', 'SO-05', 'SO-09', 'SO-10', 'SO-14', 'SO-15', 'SO-16', 'SO-27', 'CS-22', 'CS-29', 'CS-46'],
  tags: ['tokens'],
  needs: ['host-files'],
  desktopHosts: 3,
  timeoutMs: 180_000,
  async run(ctx) {
    const { lab, api } = ctx;
    const alice = await ctx.account('alice');
    const bob = await ctx.account('bob');
    const carol = await ctx.account('carol');
    const dave = await ctx.account('dave');
    const wsA = await ctx.workspace(alice, [{ account: carol }, { account: dave }]);
    const wsB = await ctx.workspace(bob);
    const agentId = await ctx.agent(alice, wsA, await ctx.apiKey('s14'));
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId: wsA });
    const home = lab.hostFiles(HOST).home;
    const config = OpenclawConfig.parse(JSON.parse(await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8')));
    const gatewayToken = config.workspace?.authToken ?? '';
    const daemonConfig = OpenclawConfig.parse(
      JSON.parse(await readFile(join(lab.hostFiles('cd1').home, OPENCLAW_CONFIG_FILE), 'utf8')),
    );
    const instanceToken = daemonConfig.workspace?.authToken ?? '';
    const mint = (credential: string, channel: string) =>
      api.raw('POST', '/v1/realtime/token', { credential, body: { channel } });

    await ctx.check(
      ['SO-05', 'SO-10', 'CS-29'],
      'three credentials, three zones: bearer, gateway token, local session token all differ',
      async () => {
        const local = LocalApiFile.parse(JSON.parse(await readFile(join(home, LOCAL_API_FILE), 'utf8')));
        assert.ok(alice.bearer.startsWith('mcb_'), 'the desktop bearer is not an mcb_ credential');
        assert.ok(gatewayToken.startsWith('mcg_'), `openclaw.json holds no mcg_ workspace token (${gatewayToken.slice(0, 4)}…)`);
        assert.ok(instanceToken.startsWith('mci_'), 'the cloud desktop holds no mci_ instance token');
        const all = [alice.bearer, gatewayToken, local.token, instanceToken];
        assert.equal(new Set(all).size, all.length, 'two zones share a credential');
      },
    );

    await ctx.check(
      ['NS-03', 'NS-05', 'NS-20', 'SO-05', 'SO-09', 'SO-10', 'SO-27'],
      'the desktop bearer cannot open a gateway (or daemon) channel, only its own user channel',
      async () => {
        for (const channel of ['gateway', 'daemon']) {
          const r = await mint(alice.bearer, channel);
          assert.equal(r.status, 403, `bearer → ${channel} channel token: expected 403, got ${r.status}`);
        }
        const own = await mint(alice.bearer, 'user');
        assert.equal(own.status, 200, `bearer → user channel token: expected 200, got ${own.status}`);
        const token = ctx.plant((own.body as { token: string }).token, 'user WSS token minted by the harness');
        assert.equal(jwtClaims(token).kind, 'user');
      },
    );

    await ctx.check(
      ['NS-03', 'NS-20', 'SO-05', 'SO-09', 'SO-27', 'CS-29'],
      'the gateway credential cannot call the desktop REST API nor open the user channel',
      async () => {
        // every REST route of the table that does not take the credential's kind (an instance token
        // may fetch TURN credentials for the cloud desktop's relay; both mint their own WSS tokens)
        const ids = { wid: wsA, aid: agentId, iid: 'x', uid: alice.id, tid: 'x', cid: 'x', vid: 'x' };
        for (const [credential, label, kind] of [
          [gatewayToken, 'gateway token', 'gateway'],
          [instanceToken, 'instance token', 'instance'],
        ] as const) {
          for (const route of ROUTE_LIST) {
            if (route.credentials.length === 0 || route.credentials.includes(kind)) continue;
            const path = routePath(route, ids);
            const r = await api.raw(route.method, path, { credential });
            assert.equal(r.status, 401, `${label} → ${route.method} ${path}: expected 401, got ${r.status}`);
          }
          const user = await mint(credential, 'user');
          assert.equal(user.status, 403, `${label} → user channel token: expected 403, got ${user.status}`);
        }
      },
    );

    await ctx.check(['CS-22', 'CS-46', 'SO-27'], "the gateway's WSS token is scoped to its user and workspace", async () => {
      const own = await mint(gatewayToken, 'gateway');
      assert.equal(own.status, 200, `gateway token → gateway channel: expected 200, got ${own.status}`);
      const claims = jwtClaims(ctx.plant((own.body as { token: string }).token, 'gateway WSS token minted by the harness'));
      assert.deepEqual(
        { kind: claims.kind, sub: claims.sub, wid: claims.wid },
        { kind: 'gateway', sub: alice.id, wid: wsA },
        'the gateway WSS token is not scoped to its user and workspace',
      );
    });

    await ctx.check(['NS-03', 'SO-05', 'SO-09'], 'the gateway local API refuses cloud credentials', async () => {
      const local = LocalApiFile.parse(JSON.parse(await readFile(join(home, LOCAL_API_FILE), 'utf8')));
      for (const [credential, label] of [
        [alice.bearer, 'desktop bearer'],
        [gatewayToken, 'gateway workspace token'],
      ] as const) {
        const r = await lab.exec(HOST, [
          'curl',
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-H',
          `Authorization: Bearer ${credential}`,
          `${local.url}/v1/status`,
        ]);
        assert.equal(r.stdout.trim(), '401', `local API with the ${label}: expected 401, got ${r.stdout.trim()}`);
      }
    });

    // Bob's own gateway, linked to his workspace over its own WSS, is what a token of his can reach
    // alice's data through: the cloud pushes config and takes task records on that channel.
    await ctx.step(`${BOB_HOST}: bob signed in, his gateway linked to his own workspace`, async () => {
      await ctx.useDesktop(BOB_HOST, bob, { workspaceId: wsB });
      await waitForSync(ctx, localGateway(BOB_HOST), 0, (c) => c.workspace?.workspaceId === wsB, "bob's workspace");
    });

    const { taskId, conversationId } = await ctx.step('alice runs a task in her workspace (she can read it)', async () => {
      const gateway = lab.service(`${HOST}-gateway`).handle;
      await waitForAgent(desktop, agentId);
      const started = await desktop.call('startTask', {
        agentId,
        prompt: PROMPT,
        steps: 1,
      });
      await gateway.waitForLine(
        (l) => l.json?.event === 'task.status' && l.json.taskId === started.taskId && TERMINAL.has(String(l.json.state)),
        60_000,
      );
      // statuses and the transcript reach the cloud asynchronously: poll until alice sees both
      const deadline2 = Date.now() + 30_000;
      for (;;) {
        const s = await api.raw('GET', `/v1/workspaces/${wsA}/tasks/${started.taskId}/statuses`, { credential: alice.bearer });
        const t = await api.raw('GET', `/v1/workspaces/${wsA}/transcripts/${started.conversationId}`, {
          credential: alice.bearer,
        });
        if (s.status === 200 && t.status === 200) break;
        assert.ok(Date.now() < deadline2, `alice cannot read her own task (${s.status}) or transcript (${t.status})`);
        await new Promise((r) => setTimeout(r, 250));
      }
      return started;
    });

    await ctx.step("alice changes her agent's model: the cloud pushes config to her workspace's gateways", async () => {
      const from = lab.service(`${HOST}-gateway`).handle.lines.length;
      await api.request(routes.updateAgent, {
        credential: alice.bearer,
        params: { wid: wsA, aid: agentId },
        body: { model: ALICE_MODEL },
      });
      await waitForSync(
        ctx,
        localGateway(HOST),
        from,
        (c) => c.agents.some((a) => a.id === agentId && a.model === ALICE_MODEL),
        "alice's changed agent",
      );
    });

    await ctx.check(['SO-16', 'CS-46'], "another user's bearer cannot read alice's workspace", async () => {
      // every read of alice's workspace the route table has
      const ids = { wid: wsA, tid: taskId, cid: conversationId };
      const paths = ROUTE_LIST.filter((r) => r.method === 'GET' && r.params[0] === 'wid').map((r) => routePath(r, ids));
      for (const path of paths) {
        const asBob = await api.raw('GET', path, { credential: bob.bearer });
        assert.ok([403, 404].includes(asBob.status), `bob's bearer → GET ${path}: expected 403/404, got ${asBob.status}`);
      }
      const gw = await api.raw('POST', `/v1/workspaces/${wsA}/gateway-tokens`, {
        credential: bob.bearer,
        body: { deviceName: 'intruder' },
      });
      assert.ok([403, 404].includes(gw.status), `bob got a gateway token for alice's workspace (${gw.status})`);
    });

    await ctx.check(
      ['CS-22', 'CS-46', 'SO-16'],
      "bob's gateway token reaches none of alice's data: nothing of hers arrives over his gateway's WSS",
      async () => {
        const bobConfigFile = join(lab.hostFiles(BOB_HOST).home, OPENCLAW_CONFIG_FILE);
        const bobConfig = JSON.parse(await readFile(bobConfigFile, 'utf8')) as OpenclawConfig;
        assert.equal(bobConfig.workspace?.workspaceId, wsB, "bob's gateway is not in bob's workspace");
        const bobToken = bobConfig.workspace?.authToken ?? '';
        // documented to lie in plain openclaw.json on his host, and nowhere else
        ctx.plant(bobToken, "bob's gateway workspace token", { allowedIn: [bobConfigFile] });
        const minted = await mint(bobToken, 'gateway');
        assert.equal(minted.status, 200, `bob's gateway token → gateway channel: expected 200, got ${minted.status}`);
        const claims = jwtClaims(ctx.plant((minted.body as { token: string }).token, "bob's gateway WSS token"));
        assert.deepEqual(
          { sub: claims.sub, wid: claims.wid },
          { sub: bob.id, wid: wsB },
          "bob's gateway token is not scoped to him",
        );
        // what the cloud sent his gateway (config syncs, and anything else it wrote down) holds none of alice's
        const bobGateway = lab.service(`${BOB_HOST}-gateway`).handle;
        const received = [
          ...bobGateway.lines.map((l) => l.text),
          ...(await filesUnder(join(lab.hostFiles(BOB_HOST).home, OPENCLAW_DIR))),
        ].join('\n');
        for (const [value, what] of [
          [wsA, "alice's workspace id"],
          [agentId, "alice's agent id"],
          [ALICE_MODEL, "alice's changed model"],
          [taskId, "alice's task id"],
          [conversationId, "alice's conversation id"],
          [PROMPT, "alice's prompt"],
        ] as const) {
          assert.equal(received.includes(value), false, `${what} reached bob's gateway`);
        }
        assert.ok(
          bobConfig.agents.every((a) => a.id !== agentId),
          `bob's gateway holds alice's agent: ${JSON.stringify(bobConfig.agents.map((a) => a.id))}`,
        );
      },
    );

    await ctx.check(
      ['SO-14', 'SO-15', 'SO-16'],
      'roles: one role per person; a Member cannot remove users or manage keys, an Owner can',
      async () => {
        const { members } = await api.request(routes.listMembers, { credential: carol.bearer, params: { wid: wsA } });
        assert.equal(new Set(members.map((m) => m.userId)).size, members.length, 'a user is listed twice');
        assert.ok(
          members.every((m) => m.role === 'owner' || m.role === 'member'),
          `roles other than owner/member: ${JSON.stringify(members)}`,
        );
        assert.deepEqual(
          Object.fromEntries(members.map((m) => [m.userId, m.role])),
          { [alice.id]: 'owner', [carol.id]: 'member', [dave.id]: 'member' },
          'the member list does not show the roles given',
        );
        const remove = await api.raw('DELETE', `/v1/workspaces/${wsA}/members/${dave.id}`, { credential: carol.bearer });
        assert.equal(remove.status, 403, `a Member removing a user: expected 403, got ${remove.status}`);
        const key = ctx.plant(`sk-lab-s14-member-${randomBytes(8).toString('hex')}`, 'key a Member tried to set');
        const setKey = await api.raw('PUT', `/v1/workspaces/${wsA}/agents/${agentId}/key`, {
          credential: carol.bearer,
          body: { apiKey: key },
        });
        assert.equal(setKey.status, 403, `a Member setting an agent key: expected 403, got ${setKey.status}`);
        const delKey = await api.raw('DELETE', `/v1/workspaces/${wsA}/agents/${agentId}/key`, { credential: carol.bearer });
        assert.equal(delKey.status, 403, `a Member removing an agent key: expected 403, got ${delKey.status}`);
        const still = await api.request(routes.listMembers, { credential: alice.bearer, params: { wid: wsA } });
        assert.ok(
          still.members.some((m) => m.userId === dave.id),
          'dave was removed although a Member asked',
        );
        const byOwner = await api.raw('DELETE', `/v1/workspaces/${wsA}/members/${dave.id}`, { credential: alice.bearer });
        assert.equal(byOwner.status, 204, `the Owner removing a user: expected 204, got ${byOwner.status}`);
        const after = await api.request(routes.listMembers, { credential: alice.bearer, params: { wid: wsA } });
        assert.ok(!after.members.some((m) => m.userId === dave.id), 'dave is still a member after the Owner removed him');
      },
    );
  },
});
