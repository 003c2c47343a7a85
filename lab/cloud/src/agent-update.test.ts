import { inviteAndAccept } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './test-helpers.ts';

let t: TestCloud;
let owner: Awaited<ReturnType<TestCloud['user']>>;
let member: Awaited<ReturnType<TestCloud['user']>>;
let wid: string;
let agentId: string;
let gateway: { id: string; token: string };

beforeAll(async () => {
  t = await startTestCloud();
  owner = await t.user('Owner');
  member = await t.user('Member');
  wid = (await t.http('POST', '/v1/workspaces', { auth: owner.bearer, body: { name: 'W' } })).body.id;
  await inviteAndAccept(t, { ownerBearer: owner.bearer, wid: wid, member: member });
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

const agentPath = () => `/v1/workspaces/${wid}/agents/${agentId}`;

describe('PATCH an agent (changing providers)', () => {
  it('an owner changes provider and model; connected instances get it on the push that follows', async () => {
    const gw = await t.connect('gateway', gateway.token);
    const first = await gw.next('config.sync');
    expect(first.agents).toEqual([expect.objectContaining({ id: agentId, provider: 'openai', model: 'gpt-lab' })]);

    const res = await t.http('PATCH', agentPath(), { auth: owner.bearer, body: { provider: 'other-llm', model: 'other-2' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: agentId, provider: 'other-llm', model: 'other-2', baseUrl: 'https://api.llm.test/v1' });

    const pushed = await gw.next('config.sync');
    expect(pushed.version).toBeGreaterThan(first.version);
    expect(pushed.agents).toEqual([
      expect.objectContaining({ id: agentId, provider: 'other-llm', model: 'other-2', baseUrl: 'https://api.llm.test/v1' }),
    ]);
    const listed = await t.http('GET', `/v1/workspaces/${wid}/agents`, { auth: member.bearer });
    expect(listed.body.agents[0]).toMatchObject({ provider: 'other-llm', model: 'other-2' });
    gw.close();
  });

  it('a member is refused with 403 and nothing changes', async () => {
    const res = await t.http('PATCH', agentPath(), { auth: member.bearer, body: { model: 'member-model' } });
    expect(res.status).toBe(403);
    const listed = await t.http('GET', `/v1/workspaces/${wid}/agents`, { auth: member.bearer });
    expect(listed.body.agents[0].model).not.toBe('member-model');
  });

  it('refuses bad bodies with 400: empty, wrong types, http base URL, unknown fields such as a key', async () => {
    for (const body of [{}, { model: 42 }, { baseUrl: 'http://api.llm.test/v1' }, { provider: '' }, { apiKey: 'sk-123456789' }]) {
      const res = await t.http('PATCH', agentPath(), { auth: owner.bearer, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBeTypeOf('string');
    }
    const bad = await t.http('PATCH', agentPath(), {
      auth: owner.bearer,
      raw: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
  });

  it('an unknown agent is 404', async () => {
    const res = await t.http('PATCH', `/v1/workspaces/${wid}/agents/agt_nope`, { auth: owner.bearer, body: { model: 'x' } });
    expect(res.status).toBe(404);
  });
});
