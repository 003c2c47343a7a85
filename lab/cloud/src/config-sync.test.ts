import { deriveInstanceKey, keyFingerprint as fingerprint, inviteAndAccept, unseal } from '@multiclaw-lab/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

const PLANTED_KEY = 'sk-lab-PLANTED-canary-0123456789abcdef';
const ROTATED_KEY = 'sk-lab-ROTATED-canary-fedcba9876543210';

let t: TestCloud;
let owner: Awaited<ReturnType<TestCloud['user']>>;
let member: Awaited<ReturnType<TestCloud['user']>>;
let wid: string;
let agentId: string;
let desktop: { id: string; token: string };
let otherDesktop: { id: string; token: string };
let gateway: { id: string; token: string };

beforeAll(async () => {
  t = await startTestCloud();
  owner = await t.user('Owner');
  member = await t.user('Member');
  wid = (await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id;
  await inviteAndAccept(t, { ownerBearer: owner.bearer, wid: wid, member: member });
  const mk = async (name: string) => {
    const res = await t.http('POST', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer, body: { name } });
    expect(res.status).toBe(201);
    expect(res.body.instanceToken).toMatch(/^mci_/);
    return { id: res.body.instance.id as string, token: res.body.instanceToken as string };
  };
  desktop = await mk('desk-1');
  otherDesktop = await mk('desk-2');
  const gw = await t.http('POST', `/v1/workspaces/${wid}/gateway-tokens`, { auth: member.bearer, body: { deviceName: 'pc' } });
  gateway = { id: gw.body.instanceId, token: gw.body.authToken };
  const agent = await t.http('POST', `/v1/workspaces/${wid}/agents`, {
    auth: owner.bearer,
    body: { name: 'Helper', provider: 'openai', model: 'gpt-lab', baseUrl: 'https://api.llm.test/v1' },
  });
  expect(agent.status).toBe(201);
  agentId = agent.body.id;
});
afterAll(() => t?.cloud.close());

const keyPath = () => `/v1/workspaces/${wid}/agents/${agentId}/key`;

describe('agent keys and config sync', () => {
  it('pushes a snapshot on connect; an owner sets a key; it reaches connected instances sealed for each', async () => {
    const daemon = await t.connect('daemon', desktop.token);
    const gw = await t.connect('gateway', gateway.token);
    const first = await daemon.next('config.sync');
    expect(first).toMatchObject({ workspaceId: wid, instanceId: desktop.id });
    expect(first.agents).toEqual([expect.objectContaining({ id: agentId, apiKey: null })]);
    const gwFirst = await gw.next('config.sync');

    const byMember = await t.http('PUT', keyPath(), { auth: member.bearer, body: { apiKey: PLANTED_KEY } });
    expect(byMember.status).toBe(403);
    const set = await t.http('PUT', keyPath(), { auth: owner.bearer, body: { apiKey: PLANTED_KEY } });
    expect(set.status).toBe(200);
    expect(set.body.key).toMatchObject({ set: true, fingerprint: fingerprint(PLANTED_KEY) });
    expect(set.text).not.toContain(PLANTED_KEY);
    const listed = await t.http('GET', `/v1/workspaces/${wid}/agents`, { auth: member.bearer });
    expect(listed.text).not.toContain(PLANTED_KEY);
    expect(listed.body.agents[0].key.fingerprint).toBe(fingerprint(PLANTED_KEY));

    const pushed = await daemon.next('config.sync');
    expect(pushed.version).toBeGreaterThan(first.version);
    const sealed = pushed.agents[0]!.apiKey!;
    expect(sealed).toMatch(/^enc:/);
    expect(JSON.stringify(pushed)).not.toContain(PLANTED_KEY);
    expect(unseal(sealed, deriveInstanceKey(desktop.token, desktop.id), desktop.id, agentId)).toBe(PLANTED_KEY);
    // another instance's token does not open it
    expect(() => unseal(sealed, deriveInstanceKey(otherDesktop.token, desktop.id), desktop.id, agentId)).toThrow();
    expect(() => unseal(sealed, deriveInstanceKey(otherDesktop.token, otherDesktop.id), otherDesktop.id, agentId)).toThrow();

    const gwPushed = await gw.next('config.sync');
    expect(gwPushed.version).toBeGreaterThan(gwFirst.version);
    expect(unseal(gwPushed.agents[0]!.apiKey!, deriveInstanceKey(gateway.token, gateway.id), gateway.id, agentId)).toBe(
      PLANTED_KEY,
    );
    daemon.send({ type: 'config.ack', version: pushed.version });
    gw.close();

    // rotation: the next push carries the new key
    const rotated = await t.http('PUT', keyPath(), { auth: owner.bearer, body: { apiKey: ROTATED_KEY } });
    expect(rotated.body.key.fingerprint).toBe(fingerprint(ROTATED_KEY));
    const afterRotation = await daemon.next('config.sync');
    expect(afterRotation.version).toBeGreaterThan(pushed.version);
    expect(unseal(afterRotation.agents[0]!.apiKey!, deriveInstanceKey(desktop.token, desktop.id), desktop.id, agentId)).toBe(
      ROTATED_KEY,
    );

    // removal: the next snapshot says apiKey null
    const removed = await t.http('DELETE', keyPath(), { auth: owner.bearer });
    expect(removed.status).toBe(200);
    expect(removed.body.key).toEqual({ set: false, fingerprint: null, updatedAt: null });
    const afterRemoval = await daemon.next('config.sync');
    expect(afterRemoval.version).toBeGreaterThan(afterRotation.version);
    expect(afterRemoval.agents[0]!.apiKey).toBeNull();
    daemon.close();
  });

  it('an instance that connects later gets the current snapshot', async () => {
    await t.http('PUT', keyPath(), { auth: owner.bearer, body: { apiKey: PLANTED_KEY } });
    const late = await t.connect('daemon', otherDesktop.token);
    const snapshot = await late.next('config.sync');
    const key = deriveInstanceKey(otherDesktop.token, otherDesktop.id);
    expect(unseal(snapshot.agents[0]!.apiKey!, key, otherDesktop.id, agentId)).toBe(PLANTED_KEY);
    late.close();
  });

  it('lists instances with their kind and connection state', async () => {
    const daemon = await t.connect('daemon', desktop.token);
    await daemon.next('config.sync');
    const asOwner = await t.http('GET', `/v1/workspaces/${wid}/instances`, { auth: owner.bearer });
    const byId = new Map(asOwner.body.instances.map((i: { id: string }) => [i.id, i]));
    expect(byId.get(desktop.id)).toMatchObject({ kind: 'cloud-desktop', connected: true, userId: null });
    expect(byId.get(gateway.id)).toMatchObject({ kind: 'gateway', userId: member.id });
    expect(asOwner.text).not.toMatch(/mc[gi]_/);
    daemon.close();
  });
});

describe('secrets at rest and in logs', () => {
  it('the database holds no planted key, password, or credential in plaintext', async () => {
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables.length).toBeGreaterThanOrEqual(8);
      let dump = '';
      for (const { tablename } of tables) {
        const { rows } = await client.query(`SELECT t::text AS row FROM "${tablename}" t`);
        dump += rows.map((r) => r.row).join('\n');
      }
      expect(dump).toContain(desktop.id); // the dump is real
      for (const secret of [
        PLANTED_KEY,
        ROTATED_KEY,
        owner.password,
        owner.bearer,
        member.bearer,
        desktop.token,
        gateway.token,
      ]) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(Buffer.from(secret).toString('hex'));
        expect(dump).not.toContain(Buffer.from(secret).toString('base64'));
      }
      const sealedKey = deriveInstanceKey(desktop.token, desktop.id).toString('hex');
      expect(dump).not.toContain(sealedKey);
    } finally {
      await client.end();
    }
  });

  it('the logs hold no planted key, password, or credential', () => {
    const logs = t.logs.join('');
    expect(logs).toContain('"event":"config.pushed"'); // the logs are real
    for (const secret of [PLANTED_KEY, ROTATED_KEY, owner.password, owner.bearer, desktop.token, gateway.token]) {
      expect(logs).not.toContain(secret);
    }
  });
});
