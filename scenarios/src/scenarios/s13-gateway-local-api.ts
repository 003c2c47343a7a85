import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pcapContains, readPcap } from '@multiclaw-lab/infra';
import { addressOf } from '@multiclaw-lab/network';
import { Conversation, LOCAL_API_FILE, LocalApiFile } from '@multiclaw-lab/protocol';
import { dumpDatabase } from '../canary.ts';
import { defineScenario } from '../define.ts';
import { waitForAgent } from './synced-instances.ts';

const HOST = 's1-d2';
const TERMINAL = new Set(['completed', 'failed', 'interrupted']);

/** Every route of the gateway's local API (protocol gateway-api.ts) plus one it does not have. */
const ENDPOINTS: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/v1/status' },
  {
    method: 'PUT',
    path: '/v1/workspace',
    body: { cloudUrl: 'https://api.multiclaw.test', workspaceId: 'w1', instanceId: 'i1', authToken: 'mcg_x' },
  },
  { method: 'DELETE', path: '/v1/workspace' },
  { method: 'POST', path: '/v1/tasks', body: { agentId: 'a1', prompt: 'hi' } },
  { method: 'GET', path: '/v1/tasks/t1' },
  { method: 'GET', path: '/v1/conversations' },
  { method: 'GET', path: '/v1/conversations/c1' },
  { method: 'GET', path: '/v1/no-such-route' },
];

/**
 * The gateway's local API demands its session token on every endpoint (nothing else opens it,
 * not even a cloud credential), a restart makes a new token and the old one stops working, the
 * token never appears on the wire outside the host, and a gateway not linked to a workspace
 * keeps its conversations to itself: no connection to the cloud, the text nowhere but on disk.
 */
export default defineScenario({
  id: 'S13-gateway-local-api',
  title: 'Gateway local API: session token required everywhere, renewed per start, never off the host; unlinked stays local',
  claims: ['NS-02', 'NS-06', 'NS-28', 'NS-29', 'NS-30', 'SO-23', 'SO-35'],
  tags: ['local', 'tokens', 'network'],
  needs: ['capture', 'host-files'],
  desktopHosts: 2,
  timeoutMs: 300_000,
  async run(ctx) {
    const { lab } = ctx;
    const site = lab.topology.sites.find((s) => s.desktops.includes(HOST))!;
    const home = lab.hostFiles(HOST).home;
    const readLocalApi = async () => LocalApiFile.parse(JSON.parse(await readFile(join(home, LOCAL_API_FILE), 'utf8')));
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const agentId = await ctx.agent(alice, workspaceId, await ctx.apiKey('s13'));
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });

    /** curl inside the desktop host; returns the HTTP status (0: no answer). */
    const curl = async (base: string, e: (typeof ENDPOINTS)[number], authorization?: string) => {
      const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', '-X', e.method];
      if (authorization !== undefined) args.push('-H', `Authorization: ${authorization}`);
      if (e.body !== undefined) args.push('-H', 'content-type: application/json', '--data', JSON.stringify(e.body));
      const r = await lab.exec(HOST, ['curl', ...args, `${base}${e.path}`]);
      return Number(r.stdout.trim()) || 0;
    };

    const first = await readLocalApi();
    await ctx.check(
      ['NS-28', 'NS-29', 'NS-06', 'NS-02', 'NS-30'],
      'missing or wrong session token → 401 on every endpoint; the token opens it over plain HTTP (curl inside the host)',
      async () => {
        const wrong = {
          none: undefined,
          'random bearer': `Bearer ${randomBytes(32).toString('base64url')}`,
          'cloud bearer of the user': `Bearer ${alice.bearer}`,
          'Basic scheme': `Basic ${Buffer.from('user:pass').toString('base64')}`,
          'empty bearer': 'Bearer ',
        };
        for (const e of ENDPOINTS) {
          for (const [label, header] of Object.entries(wrong)) {
            const status = await curl(first.url, e, header);
            assert.equal(status, 401, `${e.method} ${e.path} with ${label}: expected 401, got ${status}`);
          }
        }
        const ok = await curl(first.url, ENDPOINTS[0]!, `Bearer ${first.token}`);
        assert.equal(ok, 200, `GET /v1/status with the session token over plain HTTP: expected 200, got ${ok}`);
      },
    );

    const hostCap = await ctx.capture(HOST, 'eth0');
    const lanCap = await ctx.capture(site.router, 'lan');
    await ctx.step('the app uses its gateway (a task, conversations, status) while the host and LAN are captured', async () => {
      const gateway = lab.service(`${HOST}-gateway`).handle;
      await waitForAgent(desktop, agentId);
      const { taskId, conversationId } = await desktop.call('startTask', {
        agentId,
        prompt: 'hello from S13',
        steps: 1,
      });
      const done = await gateway.waitForLine(
        (l) => l.json?.event === 'task.status' && l.json.taskId === taskId && TERMINAL.has(String(l.json.state)),
        60_000,
      );
      assert.equal(done.json?.state, 'completed', `the task ended ${String(done.json?.state)}`);
      await desktop.call('listConversations');
      await desktop.call('getConversation', { conversationId });
      await desktop.call('gatewayStatus');
      const used = ctx.events(`${HOST}-gateway`, { event: 'api.unauthenticated' }).length;
      ctx.metric('local API requests refused (401) so far', used, 'requests');
    });
    await ctx.check(
      ['NS-29', 'NS-06'],
      'the session token never leaves the host while the app uses its gateway (captures)',
      async () => {
        for (const [cap, where] of [
          [hostCap, `${HOST} eth0`],
          [lanCap, `${site.router} LAN`],
        ] as const) {
          const file = await cap.stopAndAttach(`${where} while the app used its gateway`);
          assert.ok((await readPcap(file)).length > 0, `the capture on ${where} is empty: it proves nothing`);
          assert.equal(await pcapContains(file, first.token), false, `the session token appeared on ${where}`);
        }
      },
    );

    await ctx.step('the gateway restarts and is back on the cloud', async () => {
      await lab.restart(`${HOST}-gateway`);
      await lab.service(`${HOST}-gateway`).handle.waitForLog({ event: 'ws.welcome' }, 60_000);
    });
    await ctx.check(['NS-28'], 'a gateway restart makes a new session token; the old one is refused', async () => {
      const second = await readLocalApi();
      assert.notEqual(second.token, first.token, 'the restarted gateway kept the old session token');
      // the old token is gone from disk now, so the canary scan may look for it everywhere
      ctx.plant(first.token, 'first gateway session token (replaced by a restart)');
      const old = await curl(second.url, ENDPOINTS[0]!, `Bearer ${first.token}`);
      assert.equal(old, 401, `the previous session token: expected 401, got ${old}`);
      const fresh = await curl(second.url, ENDPOINTS[0]!, `Bearer ${second.token}`);
      assert.equal(fresh, 200, `the new session token: expected 200, got ${fresh}`);
      const status = await desktop.call('gatewayStatus');
      assert.equal(status.workspace.connected, true, 'the app could not use the restarted gateway');
    });

    const unlinked = await ctx.step('the gateway is unlinked and the app offline; a conversation runs', async () => {
      const gateway = lab.service(`${HOST}-gateway`).handle;
      await desktop.call('unlinkGateway');
      await gateway.waitForLog({ event: 'workspace.unlinked' }, 30_000);
      // the app's own cloud connection is stopped too, so every packet seen is the gateway's
      await desktop.call('disconnect');
      ctx.onCleanup(async () => void (await desktop.call('connect').catch(() => undefined)));
      const status = await desktop.call('gatewayStatus');
      assert.deepEqual(status.workspace.linked, false, 'the gateway still reports a workspace link');
      const phrase = `local-only-phrase-${randomBytes(8).toString('hex')}`;
      const cap = await ctx.capture(HOST, 'eth0');
      const { taskId, conversationId } = await desktop.call('startTask', {
        agentId,
        prompt: `please remember ${phrase}`,
        steps: 1,
      });
      await gateway.waitForLine(
        (l) => l.json?.event === 'task.status' && l.json.taskId === taskId && TERMINAL.has(String(l.json.state)),
        60_000,
      );
      return { cap, phrase, conversationId };
    });
    await ctx.check(['SO-23', 'SO-35'], 'not linked to a workspace: the conversation stays on the machine', async () => {
      const { cap, phrase, conversationId } = unlinked;
      const onDisk = Conversation.parse(
        JSON.parse(await readFile(join(home, '.openclaw', 'conversations', `${conversationId}.json`), 'utf8')),
      );
      assert.ok(
        onDisk.messages.some((m) => m.content.includes(phrase)),
        'the conversation file on the host does not hold the message',
      );
      const file = await cap.stopAndAttach(`${HOST} eth0 while unlinked`);
      const cloud = addressOf(lab.topology, 'cloud');
      const toCloud = await readPcap(file, { filter: `ip.addr == ${cloud}` });
      assert.deepEqual(toCloud.length, 0, `the unlinked host exchanged ${toCloud.length} packets with the cloud`);
      assert.equal(await pcapContains(file, phrase), false, 'the conversation text appeared on the wire');
      const transcript = await ctx.api.raw('GET', `/v1/workspaces/${workspaceId}/transcripts/${conversationId}`, {
        credential: alice.bearer,
      });
      assert.equal(transcript.status, 404, `the cloud knows the local conversation (status ${transcript.status})`);
      const cloudLines = lab.history.filter((s) => s.def.host === 'cloud').flatMap((s) => s.handle.lines);
      assert.ok(!cloudLines.some((l) => l.text.includes(phrase)), 'the conversation text appears in a cloud log');
      const dir = await mkdtemp(join(tmpdir(), 's13-'));
      try {
        const dump = join(dir, 'db.sql');
        assert.equal(await dumpDatabase(lab, dump), true, 'the database could not be dumped');
        assert.ok(!(await readFile(dump, 'utf8')).includes(phrase), 'the conversation text is in the cloud database');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
});
