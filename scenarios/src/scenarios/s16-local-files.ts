import assert from 'node:assert/strict';
import { chmod, lstat, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  CONVERSATIONS_DIR,
  Conversation,
  OPENCLAW_CONFIG_FILE,
  OPENCLAW_DIR,
  OpenclawConfig,
  routes,
} from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { waitForAgent } from './synced-instances.ts';

const HOST = 's1-d1';
const DAEMON_HOST = 'cd1';
const TERMINAL = new Set(['completed', 'failed', 'interrupted']);
/** a JWT as the cloud mints them: base64url header and payload that both start with `{"` */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}/;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

const mode = async (path: string) => (await lstat(path)).mode & 0o777;
/** an atomic write's temporary file (`.<name>.<hex>.tmp`): transient, and may hold a partial document */
const isTemporary = (name: string) => /^\..+\.[0-9a-f]+\.tmp$/.test(name);
const PROMPT = 'hello from S16';

/**
 * What lies on the desktop host's disk, and how: `~/.openclaw` is 0700 with every file 0600 and
 * every file plain JSON (config with the workspace token and agents, conversations); the bearer
 * sits in plaintext in the app's profile; another OS user cannot read any of it, root (physical
 * access) reads it all. WSS session tokens are never written anywhere: the gateway and the app
 * mint them (the cloud logs each mint) and no file of the host or the lab holds a JWT. Linked to a
 * workspace, the conversation reaches the cloud by itself — without the agent's key in it — and
 * the cloud holds the agent definition the gateway runs with.
 */
export default defineScenario({
  id: 'S16-local-files',
  title: '~/.openclaw is 0700 and openclaw.json 0600, plain JSON; bearer in the profile; session tokens never on disk',
  claims: [
    'SO-02',
    'SO-17',
    'SO-18',
    'SO-22',
    'SO-24',
    'SO-25',
    'CS-01',
    'CS-02',
    'CS-05',
    'CS-07',
    'CS-17',
    'CS-19',
    'CS-20',
    'CS-21',
    'CS-25',
    'CS-28',
    'CS-33',
    'CS-51',
    'DE-01',
    'DE-03',
    'DE-04',
    'DE-05',
    'DE-06',
    'DE-07',
    'DE-12',
    'DE-13',
    'DE-14',
    'DE-15',
    'DE-16',
    'DE-18',
    'DE-19',
    'DE-20',
    'DE-34',
    'DE-36',
    'DE-38',
    'DE-52',
    'NS-05',
    'NS-22',
    'NS-42',
  ],
  tags: ['local', 'tokens', 'keys'],
  needs: ['clock', 'host-files'],
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab, api } = ctx;
    const alice = await ctx.account('alice');
    const workspaceId = await ctx.workspace(alice);
    const apiKey = await ctx.apiKey('s16');
    const agentId = await ctx.agent(alice, workspaceId, apiKey);
    const desktop = await ctx.useDesktop(HOST, alice, { workspaceId });
    const home = lab.hostFiles(HOST).home;
    const gateway = lab.service(`${HOST}-gateway`).handle;

    const { taskId, conversationId } = await ctx.step('a task makes a conversation on the linked gateway', async () => {
      await waitForAgent(desktop, agentId);
      const started = await desktop.call('startTask', { agentId, prompt: PROMPT, steps: 1 });
      const done = await gateway.waitForLine(
        (l) => l.json?.event === 'task.status' && l.json.taskId === started.taskId && TERMINAL.has(String(l.json.state)),
        60_000,
      );
      assert.equal(done.json?.state, 'completed');
      return started;
    });

    // SO-24 and DE-38 ("When you connect to a workspace, conversations ... sync to MultiClaw
    // Cloud") promise what the cloud ends up holding, so the cloud is asked, not the gateway.
    const transcript = await ctx.check(['SO-24', 'DE-38'], 'the conversation reaches the cloud by itself', async () => {
      // transcript sync is asynchronous: poll the cloud until it has both messages
      const until = Date.now() + 30_000;
      for (;;) {
        const t = await api.raw('GET', `/v1/workspaces/${workspaceId}/transcripts/${conversationId}`, {
          credential: alice.bearer,
        });
        const messages = (t.body as { messages?: Array<{ content: string }> } | null)?.messages ?? [];
        if (t.status === 200 && messages.some((m) => m.content === PROMPT) && messages.length >= 2) return messages;
        assert.ok(Date.now() < until, `the conversation did not reach the cloud (status ${t.status})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });

    await ctx.check(['NS-42'], "the transcript the cloud holds has no trace of the agent's API key", async () => {
      const text = JSON.stringify(transcript);
      assert.equal(text.includes(apiKey), false, 'the API key is in the synced transcript');
      const statuses = await api.request(routes.listTaskStatuses, {
        credential: alice.bearer,
        params: { wid: workspaceId, tid: taskId },
      });
      assert.equal(JSON.stringify(statuses).includes(apiKey), false, 'the API key is in the synced task statuses');
    });

    // DE-38 also names agent definitions. The agent this gateway runs with is the workspace's: the
    // cloud must hold the very definition the gateway keeps in openclaw.json. (A definition the
    // user typed into openclaw.json by hand is a question the pages answer two ways: see S19.)
    await ctx.check(['DE-38'], 'the cloud holds the agent definition the linked gateway runs with', async () => {
      const local = OpenclawConfig.parse(JSON.parse(await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8')));
      const onHost = local.agents.find((a) => a.id === agentId);
      assert.ok(onHost, 'the gateway does not hold the agent it ran the task with');
      const { agents } = await api.request(routes.listAgents, { credential: alice.bearer, params: { wid: workspaceId } });
      const inCloud = agents.find((a) => a.id === agentId);
      const definition = (a: { name: string; provider: string; model: string; baseUrl: string } | undefined) =>
        a && { name: a.name, provider: a.provider, model: a.model, baseUrl: a.baseUrl };
      assert.deepEqual(definition(inCloud), definition(onHost), 'the cloud does not hold the definition the gateway uses');
    });

    for (const host of [HOST, DAEMON_HOST]) {
      await ctx.check(
        ['SO-02', 'SO-18', 'SO-25', 'CS-20', 'CS-21', 'CS-25', 'DE-14', 'DE-15', 'DE-34'],
        `${host}: ~/.openclaw is 0700 (ls -ld shows drwx------), every folder in it 0700 and every file 0600`,
        async () => {
          const h = lab.hostFiles(host).home;
          const dir = join(h, OPENCLAW_DIR);
          const ls = await lab.exec(host, ['ls', '-ld', dir]);
          assert.match(ls.stdout, /^drwx------ /, `ls -ld ~/.openclaw on ${host}: ${ls.stdout.trim()}`);
          assert.equal((await mode(join(h, OPENCLAW_CONFIG_FILE))).toString(8), '600', `openclaw.json mode on ${host}`);
          const entries = await readdir(dir, { recursive: true, withFileTypes: true });
          for (const e of entries) {
            const path = join(e.parentPath, e.name);
            const expected = e.isDirectory() ? 0o700 : 0o600;
            // an atomic write's temporary file (`.<name>.<hex>.tmp`) may be renamed away mid-scan: it
            // must be 0600 while it exists, nothing more
            const actual = await mode(path).catch((err: NodeJS.ErrnoException) => {
              if (isTemporary(e.name) && err.code === 'ENOENT') return undefined;
              throw err;
            });
            if (actual === undefined) continue;
            assert.equal(actual.toString(8), expected.toString(8), `mode of ${path}`);
          }
        },
      );

      await ctx.check(
        ['SO-17', 'DE-01', 'DE-03', 'DE-07', 'DE-12', 'DE-13', 'DE-16', 'DE-52'],
        `${host}: every file under ~/.openclaw is plain JSON, as written`,
        async () => {
          const dir = join(lab.hostFiles(host).home, OPENCLAW_DIR);
          const files = (await filesUnder(dir)).filter((f) => !isTemporary(basename(f)));
          for (const path of files) {
            // a file renamed away between listing and reading is an atomic rewrite: skipped
            const text = await readFile(path, 'utf8').catch(() => undefined);
            if (text === undefined) continue;
            // .jsonl files hold one JSON document per line
            const docs = path.endsWith('.jsonl') ? text.split('\n').filter((l) => l.trim()) : [text];
            for (const d of docs) assert.doesNotThrow(() => JSON.parse(d), `${path} is not plain JSON`);
          }
          ctx.metric(`files under ~/.openclaw on ${host}`, files.length, 'files');
        },
      );
    }

    const config = await ctx.check(
      ['SO-22', 'SO-25', 'CS-05', 'CS-17', 'CS-19', 'CS-51', 'DE-04', 'DE-19', 'DE-20', 'DE-36'],
      'openclaw.json, read as root: the workspace token in plaintext beside the agents',
      async () => {
        const parsed = OpenclawConfig.parse(JSON.parse(await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8')));
        assert.equal(parsed.workspace?.workspaceId, workspaceId);
        assert.ok(parsed.workspace?.authToken.startsWith('mcg_'), 'no plain mcg_ workspace token in openclaw.json');
        const agent = parsed.agents.find((a) => a.id === agentId);
        assert.ok(agent, 'the agent definition is not in openclaw.json');
        assert.ok(agent.apiKey?.startsWith('enc:'), 'a synced key is not kept enc: in openclaw.json');
        return parsed;
      },
    );
    const workspaceToken = config.workspace!.authToken;

    const bearer = await ctx.check(
      ['CS-28', 'CS-51', 'DE-05', 'DE-18', 'DE-19', 'DE-20', 'DE-36'],
      "the bearer lies in plaintext in the app's own profile storage, not in openclaw.json",
      async () => {
        const storage = JSON.parse(await readFile(join(home, '.multiclaw-desktop', 'local-storage.json'), 'utf8')) as Record<
          string,
          string
        >;
        const stored = storage['multiclaw.bearer'] ?? '';
        assert.ok(stored.startsWith('mcb_'), 'no plain mcb_ bearer in the desktop profile');
        assert.notEqual(stored, workspaceToken, 'the bearer and the workspace token are the same string');
        const openclaw = await readFile(join(home, OPENCLAW_CONFIG_FILE), 'utf8');
        assert.ok(!openclaw.includes(stored) && !openclaw.includes('mcb_'), 'a bearer is in openclaw.json');
        const me = await api.request(routes.getMe, { credential: stored });
        assert.equal(me.user.id, alice.id, 'the bearer read from disk (as root) does not act as its user');
        return stored;
      },
    );

    await ctx.check(['SO-22', 'DE-03', 'DE-06', 'DE-52'], 'the conversation lies on disk as plain JSON, 0600', async () => {
      const file = join(home, CONVERSATIONS_DIR, `${conversationId}.json`);
      const conversation = Conversation.parse(JSON.parse(await readFile(file, 'utf8')));
      assert.ok(conversation.messages.some((m) => m.content === PROMPT));
      assert.equal((await mode(file)).toString(8), '600');
    });

    const asNobody = (args: string[]) => lab.driver.exec(HOST, args[0]!, args.slice(1), { user: 'nobody', timeoutMs: 20_000 });
    await ctx.step('another OS user (nobody) can reach the home folder (so only ~/.openclaw decides)', async () => {
      // home/ itself is 0700; open it to traversal for this check so only ~/.openclaw's own modes decide
      const homeMode = (await stat(home)).mode & 0o777;
      ctx.onCleanup(() => chmod(home, homeMode));
      await chmod(home, 0o711);
      const control = await asNobody(['stat', home]);
      assert.equal(control.code, 0, `nobody cannot even reach the home folder, so the check proves nothing: ${control.stderr}`);
    });

    await ctx.check(
      ['SO-18', 'CS-20', 'CS-21', 'DE-15'],
      'another OS user (nobody) cannot read ~/.openclaw, openclaw.json or a conversation',
      async () => {
        for (const args of [
          ['cat', join(home, OPENCLAW_CONFIG_FILE)],
          ['ls', join(home, OPENCLAW_DIR)],
          ['cat', join(home, CONVERSATIONS_DIR, `${conversationId}.json`)],
        ]) {
          const r = await asNobody(args);
          assert.notEqual(r.code, 0, `nobody ran ${args.join(' ')}`);
          assert.match(r.stderr, /Permission denied/, `${args.join(' ')} as nobody: ${r.stderr.trim()}`);
        }
      },
    );

    await ctx.step('the cloud clock moves 3 days on', async () => {
      ctx.onCleanup(() => lab.setClock('cloud', 0));
      await lab.setClock('cloud', 3 * 24 * 3600);
    });
    await ctx.check(['CS-05', 'CS-17'], 'the workspace token from openclaw.json still works days later', async () => {
      const r = await api.raw('POST', '/v1/realtime/token', { credential: workspaceToken, body: { channel: 'gateway' } });
      assert.equal(r.status, 200, `mint with the stored workspace token 3 days on: expected 200, got ${r.status}`);
      ctx.plant((r.body as { token: string }).token, 'gateway WSS token minted 3 days on');
    });
    await ctx.step('the cloud clock is back', () => lab.setClock('cloud', 0));

    await ctx.step('session tokens were minted during the scenario (cloud log), in the shape the scan looks for', async () => {
      const mints = ctx.events('cloud', { event: 'realtime.token_minted' });
      const channels = new Set(mints.map((m) => m.channel));
      assert.ok(channels.has('gateway') && channels.has('user'), `mints seen: ${[...channels].join(', ')}`);
      ctx.metric('WSS tokens minted during the scenario', mints.length, 'tokens');
      for (const [credential, channel] of [
        [workspaceToken, 'gateway'],
        [bearer, 'user'],
      ] as const) {
        const r = await api.request(routes.mintRealtimeToken, { credential, body: { channel } });
        ctx.plant(r.token, `${channel} WSS token minted by the harness`);
        assert.match(r.token, JWT, 'the scan pattern would not find a real session token');
      }
    });

    await ctx.check(
      ['CS-01', 'CS-02', 'CS-07', 'CS-33', 'NS-05', 'NS-22'],
      'no file of the desktop host, the cloud desktop or the lab holds a session token',
      async () => {
        const roots = [lab.hostFiles(HOST).home, lab.hostFiles(DAEMON_HOST).home, lab.stateDir];
        const files = [...new Set((await Promise.all(roots.map(filesUnder))).flat())]
          // a DPI box's own records (S10) are the interceptor's, not MultiClaw's
          .filter((f) => !f.includes('mitmproxy'));
        const holding: string[] = [];
        for (const f of files) {
          const text = await readFile(f).then(
            (b) => b.toString('latin1'),
            () => '',
          );
          if (JWT.test(text)) holding.push(f);
        }
        ctx.metric('files scanned for session tokens', files.length, 'files');
        assert.deepEqual(holding, [], 'files holding a JWT-looking session token');
      },
    );
  },
});
