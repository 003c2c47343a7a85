import { randomBytes } from 'node:crypto';
import { freshDatabase } from '@multiclaw-lab/kit/testing';
import { CloudApi } from '../src/cloud-api.ts';
import { LoopbackStack, type LoopbackStackOptions } from '../src/loopback-stack.ts';

/** A loopback stack on a fresh database of the run's PostgreSQL, plus a harness REST client. */
export async function startStack(options: LoopbackStackOptions = {}) {
  const stack = await LoopbackStack.start({ databaseUrl: await freshDatabase('system'), ...options });
  const api = new CloudApi(stack.cloudUrl, stack.ca.certPem);
  return {
    stack,
    api,
    async [Symbol.asyncDispose]() {
      await api.close();
      await stack.close();
    },
  };
}

export interface Account {
  id: string;
  email: string;
  password: string;
  bearer: string;
}

/** Signs up and signs in a new account with a random password (a planted secret). */
export async function newAccount(api: CloudApi, name: string): Promise<Account> {
  const email = `${name}-${randomBytes(3).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const { user } = await api.call<{ user: { id: string } }>('POST', '/v1/auth/sign-up', { body: { email, password, name } });
  const { bearer } = await api.call<{ bearer: string }>('POST', '/v1/auth/sign-in', { body: { email, password } });
  return { id: user.id, email, password, bearer };
}

export async function newWorkspace(api: CloudApi, owner: Account, name = 'Lab workspace'): Promise<string> {
  const ws = await api.call<{ id: string }>('POST', '/v1/workspaces', { credential: owner.bearer, body: { name } });
  return ws.id;
}

export function plantedKey(label: string): string {
  return `sk-lab-${label}-${randomBytes(16).toString('hex')}`;
}
