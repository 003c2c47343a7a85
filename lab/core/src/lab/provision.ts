/**
 * What `lab up` provisions once the cloud answers: one account per desktop host (the first owns
 * the workspace, the others are members), an agent on the lab's LLM provider, and its key.
 */
import { randomBytes } from 'node:crypto';
import type { LlmAdminClient } from '@multiclaw-lab/external';
import { type Host, PUBLIC_NAMES } from '@multiclaw-lab/network';
import { inviteAndAccept, routes, signUpAndIn } from '@multiclaw-lab/protocol';
import type { CloudApi } from '../cloud-api.ts';
import type { DemoAccount } from './types.ts';

export interface DemoWorkspace {
  accounts: DemoAccount[];
  workspaceId: string;
  agentId: string;
}

export async function provisionDemo(api: CloudApi, llmAdmin: LlmAdminClient, desktopHosts: Host[]): Promise<DemoWorkspace> {
  // sign-ups hash passwords (bcrypt), which the cloud does on its thread pool: side by side
  const accounts = await Promise.all(
    desktopHosts.map(async (host) => {
      const email = `${host.id}@multiclaw.test`;
      const password = `pw-${randomBytes(12).toString('base64url')}`;
      const { id, bearer } = await signUpAndIn(api, { email, password, name: `User of ${host.id}` });
      return { email, password, bearer, userId: id, host: host.id };
    }),
  );
  const owner = accounts[0];
  if (!owner) throw new Error('the lab needs at least one desktop host to own its workspace');
  const workspaceId = (await api.request(routes.createWorkspace, { credential: owner.bearer, body: { name: 'Lab workspace' } }))
    .id;
  await Promise.all(
    accounts.slice(1).map((member) => inviteAndAccept(api, { ownerBearer: owner.bearer, wid: workspaceId, member })),
  );
  const agent = await api.request(routes.createAgent, {
    credential: owner.bearer,
    params: { wid: workspaceId },
    body: { name: 'lab-agent', provider: 'lab-llm', model: 'lab-model-1', baseUrl: `https://${PUBLIC_NAMES.llm}/v1` },
  });
  const apiKey = `sk-lab-${randomBytes(16).toString('hex')}`;
  await llmAdmin.registerKey(apiKey);
  await api.request(routes.setAgentKey, {
    credential: owner.bearer,
    params: { wid: workspaceId, aid: agent.id },
    body: { apiKey },
  });
  return { accounts, workspaceId, agentId: agent.id };
}
