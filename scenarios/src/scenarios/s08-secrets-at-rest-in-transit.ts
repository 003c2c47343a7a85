import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentView } from '@multiclaw-lab/protocol';
import { deriveInstanceKey, SEAL_PREFIX, unseal } from '@multiclaw-lab/protocol';
import { dumpDatabase, scanForSecrets } from '../canary.ts';
import { defineScenario } from '../define.ts';
import { CLOUD_DESKTOP, localGateway, readOpenclaw, runTask } from './synced-instances.ts';

/** The tables a MultiClaw Cloud database may hold: accounts, workspaces, sessions, synced workspace data. */
const EXPECTED_TABLES = [
  'schema_migrations',
  'users',
  'bearers',
  'workspaces',
  'memberships',
  'instances',
  'instance_viewers',
  'agents',
  'task_statuses',
  'transcripts',
  // ids of WSS tokens already used (one session per token): session data
  'used_wss_tokens',
];

/** Rows of one table from a plain pg_dump (its COPY block), as column → text (null for \N). */
function tableRows(dump: string, table: string): Array<Record<string, string | null>> {
  const start = new RegExp(`^COPY public\\.${table} \\(([^)]*)\\) FROM stdin;$`, 'm').exec(dump);
  if (!start) return [];
  const columns = start[1]!.split(',').map((c) => c.trim().replaceAll('"', ''));
  const body = dump.slice(start.index + start[0].length + 1);
  const rows: Array<Record<string, string | null>> = [];
  for (const line of body.split('\n')) {
    if (line === '\\.') break;
    const cells = line.split('\t');
    rows.push(Object.fromEntries(columns.map((c, i) => [c, cells[i] === '\\N' ? null : (cells[i] ?? null)])));
  }
  return rows;
}

/** Opens a value the cloud sealed at rest (`mk1:` = AES-256-GCM, iv|tag|ct) with the master key. */
function openAtRest(sealed: string, masterKey: Buffer, context: string): string {
  const [format, body] = sealed.split(':', 2);
  assert.equal(format, 'mk1', `unexpected at-rest format ${format}`);
  const raw = Buffer.from(body!, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', masterKey, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * Secrets at rest and in transit: the database holds only bcrypt hashes of passwords and AES-256
 * ciphertext of keys (no plaintext key, password or instance token); the sync payload is `enc:`
 * AES-256-GCM that only its own instance's token opens; the key is in no log, transcript or API
 * response, and no API hands a member the key, its ciphertext or the master key.
 */
export default defineScenario({
  id: 'S08-secrets-at-rest-in-transit',
  title: 'Secrets at rest and in transit: bcrypt and AES-256 in the database, enc: per instance, never in logs or responses',
  claims: [
    'SO-19',
    'SO-36',
    'CS-01',
    'CS-02',
    'CS-03',
    'CS-04',
    'CS-08',
    'CS-09',
    'CS-10',
    'CS-12',
    'CS-13',
    'CS-37',
    'CS-43',
    'CS-44',
    'CS-46',
    'DE-01',
    'DE-02',
    'DE-08',
    'DE-22',
    'DE-23',
    'DE-24',
    'DE-25',
    'DE-40',
    'DE-42',
    'DE-49',
    'DE-50',
    'DE-51',
    'NS-08',
    'NS-39',
    'NS-40',
    'NS-42',
  ],
  tags: ['keys'],
  needs: [],
  desktopHosts: 3,
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;
    const alice = await ctx.account('alice');
    const bob = await ctx.account('bob');
    const workspaceId = await ctx.workspace(alice, [{ account: bob }]);
    const key = await ctx.apiKey('secret');
    const masterKeyFile = lab.service('cloud').def.env.CLOUD_MASTER_KEY_FILE;
    assert.ok(masterKeyFile, 'the cloud is not configured with a master key file');
    const masterKeyHex = (await readFile(masterKeyFile, 'utf8')).trim();
    const masterKey = Buffer.from(masterKeyHex, 'hex');
    /** every API response a member or owner got in this scenario, for the "never in a response" checks */
    const responses: Array<{ route: string; body: string }> = [];
    const call = async <T>(who: { bearer: string }, method: string, path: string, body?: unknown): Promise<T> => {
      const res = await ctx.api.raw(method, path, { credential: who.bearer, ...(body === undefined ? {} : { body }) });
      responses.push({ route: `${method} ${path}`, body: JSON.stringify(res.body) });
      assert.ok(res.status >= 200 && res.status < 300, `${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as T;
    };

    const agentsPath = `/v1/workspaces/${workspaceId}/agents`;
    const agent = await call<AgentView>(alice, 'POST', agentsPath, {
      name: `${ctx.id}-agent`,
      provider: 'lab-llm',
      model: 'lab-model-1',
      baseUrl: 'https://api.llm.test/v1',
    });
    await call(alice, 'PUT', `${agentsPath}/${agent.id}/key`, { apiKey: key });

    const [one, two] = [localGateway('s1-d2'), localGateway('s1-d3')];
    const desktop = await ctx.useDesktop(one.host, alice, { workspaceId });
    await ctx.useDesktop(two.host, bob, { workspaceId });

    const task = await ctx.step('a task on the local gateway calls the provider with the synced key', async () => {
      const t = await runTask(ctx, desktop, one.host, agent.id, 'what is the secret?');
      assert.equal(t.state, 'completed', `the task ended ${t.state}`);
      return t;
    });

    await ctx.step('sync payload values are enc: AES-256-GCM; only their own instance token opens them', async () => {
      const copies = [];
      for (const instance of [one, two]) {
        const { text, config } = await readOpenclaw(ctx, instance);
        assert.equal(text.includes(key), false, `${instance.service}: the key is in openclaw.json in plaintext`);
        const value = config.agents.find((a) => a.id === agent.id)?.apiKey ?? '';
        assert.ok(value.startsWith(SEAL_PREFIX), `${instance.service}: the agent's key is not an enc: value (${value})`);
        const raw = Buffer.from(value.slice(SEAL_PREFIX.length), 'base64url');
        // version | 12-byte GCM nonce | 16-byte tag | ciphertext as long as the key (GCM adds no padding)
        assert.equal(raw.length, 1 + 12 + 16 + Buffer.byteLength(key), `${instance.service}: enc: value is not GCM-shaped`);
        copies.push({ instance, value, ws: config.workspace! });
      }
      const daemon = (await readOpenclaw(ctx, CLOUD_DESKTOP)).config.workspace!;
      for (const mine of copies) {
        const own = unseal(mine.value, deriveInstanceKey(mine.ws.authToken, mine.ws.instanceId), mine.ws.instanceId, agent.id);
        assert.equal(own === key, true, `${mine.instance.service}: its own instance token does not open its value`);
        const others = [...copies.filter((c) => c !== mine).map((c) => c.ws), daemon];
        for (const other of others) {
          for (const instanceId of [other.instanceId, mine.ws.instanceId]) {
            assert.throws(
              () => unseal(mine.value, deriveInstanceKey(other.authToken, instanceId), instanceId, agent.id),
              /does not open/,
              `${mine.instance.service}: another instance's token (${other.instanceId}) opened the value`,
            );
          }
        }
      }
    });

    const transcript = await ctx.step('the transcript reaches the cloud without the key', async () => {
      const path = `/v1/workspaces/${workspaceId}/transcripts/${task.conversationId}`;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await ctx.api.raw('GET', path, { credential: bob.bearer });
        const messages = (res.body as { messages?: Array<{ role: string }> } | null)?.messages ?? [];
        if (res.status === 200 && messages.some((m) => m.role === 'assistant')) {
          responses.push({ route: `GET ${path}`, body: JSON.stringify(res.body) });
          return res.body;
        }
        // transcripts are pushed by the gateway when it can: poll the cloud's copy
        if (Date.now() > deadline) assert.fail(`the transcript never reached the cloud (last answer ${res.status})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    assert.ok(transcript);

    await ctx.step('every agent route and read route answers without the key, its ciphertext or the master key', async () => {
      await call(alice, 'GET', agentsPath);
      await call(bob, 'GET', agentsPath);
      await call(bob, 'GET', `/v1/workspaces/${workspaceId}/tasks/${task.taskId}/statuses`);
      await call(bob, 'GET', `/v1/workspaces/${workspaceId}/instances`);
      await call(bob, 'GET', `/v1/workspaces/${workspaceId}`);
      await call(bob, 'GET', '/v1/me');
      const rotated = await ctx.apiKey('rotated');
      await call(alice, 'PUT', `${agentsPath}/${agent.id}/key`, { apiKey: rotated });
      await call(alice, 'PUT', `${agentsPath}/${agent.id}/key`, { apiKey: key });
      // a member cannot set or read keys
      const refused = await ctx.api.raw('PUT', `${agentsPath}/${agent.id}/key`, {
        credential: bob.bearer,
        body: { apiKey: rotated },
      });
      responses.push({ route: 'PUT key as member', body: JSON.stringify(refused.body) });
      assert.equal(refused.status, 403, `a member setting a key got ${refused.status}`);
      for (const r of responses) {
        for (const [what, secret] of [
          ['the key', key],
          ['the rotated key', rotated],
          ['the master key', masterKeyHex],
        ] as const)
          assert.equal(r.body.includes(secret), false, `${r.route} answered with ${what}`);
        assert.equal(/mk1:|enc:/.test(r.body), false, `${r.route} answered with a sealed value`);
      }
      ctx.metric('API responses checked', responses.length, 'responses');
    });

    const dumpFile = join(lab.stateDir, 'logs', `${ctx.id}-database.sql`);
    await ctx.step('the database: bcrypt hashes, AES-256 ciphertext, no plaintext secret', async () => {
      assert.equal(await dumpDatabase(lab, dumpFile), true, 'pg_dump failed');
      await ctx.attach('database dump', dumpFile, 'text');
      const dump = await readFile(dumpFile, 'utf8');
      const tables = [...dump.matchAll(/^CREATE TABLE public\.(\w+) \(/gm)].map((m) => m[1]!);
      const unexpected = tables.filter((t) => !EXPECTED_TABLES.includes(t));
      assert.deepEqual(unexpected, [], `the cloud stores tables beyond accounts, workspaces, sessions and synced data`);
      ctx.note('database.tables', { tables });

      const users = tableRows(dump, 'users').filter((u) => u.email === alice.email || u.email === bob.email);
      assert.equal(users.length, 2, 'the two accounts are not in the users table');
      for (const u of users)
        assert.match(u.password_hash ?? '', /^\$2[aby]\$\d{2}\$.{53}$/, `${u.email}: password is not a bcrypt hash`);

      const row = tableRows(dump, 'agents').find((a) => a.id === agent.id);
      assert.ok(row?.key_sealed, 'the agent row holds no sealed key');
      assert.equal(
        openAtRest(row.key_sealed, masterKey, `agent-key:${agent.id}`),
        key,
        'the stored value is not the key under the master key',
      );

      const daemon = (await readOpenclaw(ctx, CLOUD_DESKTOP)).config.workspace!;
      const gateway = (await readOpenclaw(ctx, one)).config.workspace!;
      for (const [what, secret] of [
        ['the LLM key', key],
        ["alice's password", alice.password],
        ["bob's password", bob.password],
        ["the cloud desktop's instance token", daemon.authToken],
        ["the local gateway's workspace token", gateway.authToken],
        ['the master key', masterKeyHex],
      ] as const)
        assert.equal(dump.includes(secret), false, `the database dump holds ${what} in plaintext`);
    });

    await ctx.step('no log, host file or profile holds the key or a password', async () => {
      const planted = new Map([
        [key, 'the LLM key'],
        [alice.password, "alice's password"],
        [bob.password, "bob's password"],
      ]);
      const scan = await scanForSecrets(planted, [lab.logsDir, join(lab.stateDir, 'hosts')]);
      assert.ok(scan.filesScanned > 0, 'no file was scanned');
      assert.deepEqual(scan.hits, [], `plaintext secrets found: ${JSON.stringify(scan.hits)}`);
      ctx.metric('files scanned for the key and passwords', scan.filesScanned, 'files');
    });
  },
});
