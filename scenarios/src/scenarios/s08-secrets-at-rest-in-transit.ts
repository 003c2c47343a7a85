import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DpiFault, enableDpi } from '@multiclaw-lab/core';
import type { AgentView } from '@multiclaw-lab/protocol';
import { deriveInstanceKey, SEAL_PREFIX, unseal } from '@multiclaw-lab/protocol';
import { dumpDatabase, scanForSecrets } from '../canary.ts';
import { defineScenario } from '../define.ts';
import { CLOUD_DESKTOP, localGateway, readOpenclaw, runTask, waitForSync } from './synced-instances.ts';

/**
 * What SO-36 lets the cloud keep ("only the account, workspace, and session data needed to
 * operate the service"), table by table and column by column, each with the promise of the pages
 * that needs it. Written from the pages, not copied from the cloud's schema: a table or a column
 * the pages give no reason for (analytics, device data, anything else) fails the check.
 */
const DOCUMENTED_DATA: Record<string, { kind: 'account' | 'workspace' | 'session' | 'schema'; columns: string[]; why: string }> =
  {
    users: {
      kind: 'account',
      columns: ['id', 'email', 'name', 'password_hash', 'failed_sign_ins', 'first_failed_at', 'locked_until', 'created_at'],
      why: 'who signs in; "only a bcrypt hash of your password"; "repeated failed login attempts trigger temporary account lockouts"',
    },
    bearers: {
      kind: 'session',
      columns: ['id', 'user_id', 'token_hash', 'created_at', 'revoked_at', 'revoked_why'],
      why: 'the desktop bearer "persists until logout" and is revoked by signing out or a forced sign-out: the cloud must know it (as a digest)',
    },
    used_wss_tokens: {
      kind: 'session',
      columns: ['jti', 'expires_at'],
      why: 'WSS tokens are "generated fresh for every session": a used one must be recognised until it expires',
    },
    workspaces: { kind: 'workspace', columns: ['id', 'name', 'created_at'], why: 'the workspace itself' },
    memberships: {
      kind: 'workspace',
      columns: ['workspace_id', 'user_id', 'role', 'created_at'],
      why: 'Owner and Member roles; removing a user from the workspace',
    },
    invitations: {
      kind: 'workspace',
      columns: ['id', 'workspace_id', 'user_id', 'role', 'invited_by', 'created_at', 'accepted_at'],
      why: 'who was asked to join a workspace, in which role, and whether they accepted: membership in the making',
    },
    instances: {
      kind: 'workspace',
      columns: [
        'id',
        'workspace_id',
        'kind',
        'name',
        'user_id',
        'token_hash',
        'sync_key_sealed',
        'config_version',
        'config_acked',
        'created_at',
        'revoked_at',
        'revoked_why',
      ],
      why: "the workspace's gateways and cloud desktops: their auth tokens (revoked when a user is removed) and config sync under a per-instance key",
    },
    instance_viewers: {
      kind: 'workspace',
      columns: ['instance_id', 'user_id'],
      why: 'who may view a cloud desktop over WebRTC',
    },
    agents: {
      kind: 'workspace',
      columns: [
        'id',
        'workspace_id',
        'name',
        'provider',
        'model',
        'base_url',
        'key_sealed',
        'key_fingerprint',
        'key_updated_at',
        'created_at',
      ],
      why: 'agent definitions sync to the cloud; the LLM API key stored "encrypted at rest"',
    },
    task_statuses: {
      kind: 'workspace',
      columns: ['instance_id', 'task_id', 'seq', 'workspace_id', 'state', 'detail', 'at', 'received_at'],
      why: 'task data and "real-time status events"',
    },
    transcripts: {
      kind: 'workspace',
      columns: ['workspace_id', 'conversation_id', 'instance_id', 'revision', 'messages', 'updated_at'],
      why: '"When you connect to a workspace, conversation transcripts sync to MultiClaw Cloud"',
    },
    // A cloud of several processes (behind a load balancer) routes real-time traffic between
    // them through the database: operational session data, none of it about a person.
    realtime_nodes: {
      kind: 'session',
      columns: ['node_id', 'name', 'started_at', 'seen_at'],
      why: 'the cloud processes sharing the database, so a revocation or a reconnect reaches every one ("revoked immediately")',
    },
    realtime_presence: {
      kind: 'session',
      columns: ['session_id', 'node_id', 'channel', 'instance_id', 'opened_at'],
      why: 'which cloud process holds each gateway and cloud-desktop connection: the instance list shows whether it is connected',
    },
    realtime_messages: {
      kind: 'session',
      columns: ['id', 'body', 'created_at'],
      why: 'a message between cloud processes too large for a notification, kept a minute at most',
    },
    realtime_rtc_sessions: {
      kind: 'session',
      columns: ['session_id', 'node_id', 'created_at'],
      why: 'an ICE session id belongs to one viewer and one desktop, whichever cloud process each is connected to',
    },
    schema_migrations: {
      kind: 'schema',
      columns: ['name', 'applied_at'],
      why: "the database's record of its own schema version: no user data",
    },
  };

/** The tables of a plain pg_dump with their column names. */
function dumpedTables(dump: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  for (const m of dump.matchAll(/^CREATE TABLE public\.(\w+) \(\n([\s\S]*?)\n\);$/gm)) {
    const columns = m[2]!
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !/^(CONSTRAINT|PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY)\b/.test(line))
      .map((line) => line.split(/\s+/)[0]!.replaceAll('"', ''));
    tables.set(m[1]!, columns);
  }
  return tables;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** A config sync frame as the trusted DPI box saw it: per agent, whether the key was sealed and the value's SHA-256. */
interface WireSync {
  instanceId: string;
  agents: Array<{ id: string; key: { sealed: boolean; sha256: string } | null }>;
}

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
 * Secrets at rest and in transit: the database holds only what the pages let the cloud keep,
 * bcrypt hashes of passwords and AES-256 ciphertext of keys (no plaintext key, password or
 * instance token); the config sync carries the key as `enc:` AES-256-GCM that only its own
 * instance's token opens — seen on the wire by a DPI box the site trusts, and written as it came
 * to openclaw.json; the key is in no log, transcript or API response, and no API hands a member
 * the key, its ciphertext or the master key.
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
  needs: ['dpi', 'host-files'],
  desktopHosts: 3,
  timeoutMs: 300_000,
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
    // a DPI box the site trusts reads the WSS frames: how the key travels inside TLS, not only how it lands on disk
    const dpi: DpiFault = await ctx.fault(enableDpi(lab, 's1', 'trusted'));
    // the fault's heal (when the scenario ends) puts the trust store back; the apps must read it again
    ctx.onCleanup(() => lab.restartSiteApps('s1'));
    await ctx.step("the site's apps restart to trust the DPI box", () => lab.restartSiteApps('s1'));
    const desktop = await ctx.useDesktop(one.host, alice, { workspaceId });
    await ctx.useDesktop(two.host, bob, { workspaceId });

    const synced = await ctx.check(
      ['CS-10', 'CS-04', 'DE-23', 'NS-39'],
      "config sync writes the agent's key into each instance's openclaw.json only as an enc: AES-256-GCM value",
      async () => {
        const copies = [];
        for (const instance of [one, two]) {
          const { text, config } = await waitForSync(
            ctx,
            instance,
            0,
            (c) => c.agents.some((a) => a.id === agent.id && a.apiKey !== null),
            "the agent's key",
          );
          assert.ok(config.workspace, `${instance.service}: openclaw.json holds no workspace`);
          assert.equal(text.includes(key), false, `${instance.service}: the key is in openclaw.json in plaintext`);
          const value = config.agents.find((a) => a.id === agent.id)?.apiKey ?? '';
          assert.ok(value.startsWith(SEAL_PREFIX), `${instance.service}: the agent's key is not an enc: value`);
          const raw = Buffer.from(value.slice(SEAL_PREFIX.length), 'base64url');
          // version | 12-byte GCM nonce | 16-byte tag | ciphertext as long as the key (GCM adds no padding)
          assert.equal(raw.length, 1 + 12 + 16 + Buffer.byteLength(key), `${instance.service}: enc: value is not GCM-shaped`);
          copies.push({ instance, value, ws: config.workspace });
        }
        return copies;
      },
    );

    await ctx.check(
      ['CS-09', 'CS-04', 'NS-40', 'DE-23'],
      "each instance's enc: value opens with a key derived from its own instance token, and with no other instance's",
      async () => {
        const daemon = (await readOpenclaw(ctx, CLOUD_DESKTOP)).config.workspace!;
        for (const mine of synced) {
          const own = unseal(mine.value, deriveInstanceKey(mine.ws.authToken, mine.ws.instanceId), mine.ws.instanceId, agent.id);
          assert.equal(own === key, true, `${mine.instance.service}: its own instance token does not open its value`);
          const others = [...synced.filter((c) => c !== mine).map((c) => c.ws), daemon];
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
      },
    );

    await ctx.check(
      ['NS-40', 'DE-23', 'CS-04', 'NS-39'],
      'on the wire, inside TLS, the config sync carries the key only as enc: values, exactly those the instances wrote',
      async () => {
        const frames = dpi
          .events()
          .filter((e) => e.event === 'mitm.ws_message' && e.direction === 'server->client' && e.configSync)
          .map((e) => e.configSync as WireSync);
        for (const mine of synced) {
          const keys = frames
            .filter((f) => f.instanceId === mine.ws.instanceId)
            .flatMap((f) => f.agents.filter((a) => a.id === agent.id && a.key !== null).map((a) => a.key!));
          assert.ok(
            keys.length > 0,
            `${mine.instance.service}: the DPI box saw no config sync with the key: was it in the path?`,
          );
          assert.deepEqual(
            keys.filter((k) => !k.sealed),
            [],
            `${mine.instance.service}: a config sync carried the key unsealed`,
          );
          assert.equal(
            keys.some((k) => k.sha256 === sha256(key)),
            false,
            `${mine.instance.service}: the key travelled in plaintext`,
          );
          assert.ok(
            keys.some((k) => k.sha256 === sha256(mine.value)),
            `${mine.instance.service}: the enc: value in openclaw.json is not one the cloud sent: the instance sealed it itself`,
          );
        }
        ctx.metric('config sync frames read on the wire', frames.length, 'frames');
      },
    );

    const task = await ctx.check(
      ['NS-39', 'NS-08'],
      'a task on the local gateway calls the provider with the key config sync delivered',
      async () => {
        const t = await runTask(ctx, desktop, one.host, agent.id, 'what is the secret?');
        assert.equal(t.state, 'completed', `the task ended ${t.state}`);
        return t;
      },
    );
    const transcript = await ctx.step("the task's transcript reaches the cloud", async () => {
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

    await ctx.check(
      ['DE-24', 'DE-25', 'DE-50', 'NS-42', 'NS-08'],
      'every agent route and read route, transcripts included, answers without the key, its ciphertext or the master key',
      async () => {
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
      },
    );

    const dumpFile = join(lab.stateDir, 'logs', `${ctx.id}-database.sql`);
    const dump = await ctx.step('the database is dumped', async () => {
      assert.equal(await dumpDatabase(lab, dumpFile), true, 'pg_dump failed');
      await ctx.attach('database dump', dumpFile, 'text');
      return readFile(dumpFile, 'utf8');
    });

    await ctx.check(['SO-36'], 'the database holds only the account, workspace and session data the pages name', async () => {
      const tables = dumpedTables(dump);
      assert.ok(tables.has('users'), 'no table read from the dump: the check would prove nothing');
      const undocumented: string[] = [];
      for (const [table, columns] of tables) {
        const documented = DOCUMENTED_DATA[table];
        if (!documented) undocumented.push(`table ${table}`);
        else undocumented.push(...columns.filter((c) => !documented.columns.includes(c)).map((c) => `${table}.${c}`));
      }
      assert.deepEqual(undocumented, [], 'the cloud stores data the pages give no reason for');
      ctx.note('database.tables', { tables: Object.fromEntries(tables) });
    });

    await ctx.check(['CS-37', 'CS-43', 'CS-44'], 'passwords are stored only as bcrypt hashes', async () => {
      const users = tableRows(dump, 'users').filter((u) => u.email === alice.email || u.email === bob.email);
      assert.equal(users.length, 2, 'the two accounts are not in the users table');
      for (const u of users)
        assert.match(u.password_hash ?? '', /^\$2[aby]\$\d{2}\$.{53}$/, `${u.email}: password is not a bcrypt hash`);
      for (const [what, secret] of [
        ["alice's password", alice.password],
        ["bob's password", bob.password],
      ] as const)
        assert.equal(dump.includes(secret), false, `the database dump holds ${what} in plaintext`);
    });

    await ctx.check(
      [
        'SO-19',
        'CS-01',
        'CS-02',
        'CS-03',
        'CS-08',
        'CS-46',
        'DE-01',
        'DE-02',
        'DE-08',
        'DE-22',
        'DE-40',
        'DE-42',
        'DE-49',
        'DE-51',
        'NS-39',
      ],
      'the key is stored as AES-256-GCM ciphertext under the master key; no key, instance token or master key in plaintext',
      async () => {
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
          ["the cloud desktop's instance token", daemon.authToken],
          ["the local gateway's workspace token", gateway.authToken],
          ['the master key', masterKeyHex],
        ] as const)
          assert.equal(dump.includes(secret), false, `the database dump holds ${what} in plaintext`);
      },
    );

    await ctx.check(
      ['CS-12', 'CS-13', 'NS-42', 'NS-08', 'CS-44'],
      'no log, host file or profile holds the key or a password',
      async () => {
        const planted = new Map([
          [key, 'the LLM key'],
          [alice.password, "alice's password"],
          [bob.password, "bob's password"],
        ]);
        const scan = await scanForSecrets(planted, [lab.logsDir, join(lab.stateDir, 'hosts')]);
        assert.ok(scan.filesScanned > 0, 'no file was scanned');
        assert.deepEqual(scan.hits, [], `plaintext secrets found: ${JSON.stringify(scan.hits)}`);
        ctx.metric('files scanned for the key and passwords', scan.filesScanned, 'files');
      },
    );
  },
});
