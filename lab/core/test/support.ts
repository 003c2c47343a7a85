import { randomBytes } from 'node:crypto';
import { freshDatabase } from '@multiclaw-lab/kit/testing';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';
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
  const { id, bearer } = await signUpAndIn(api, { email, password, name });
  return { id, email, password, bearer };
}

export async function newWorkspace(api: CloudApi, owner: Account, name = 'Lab workspace'): Promise<string> {
  const ws = await api.request(routes.createWorkspace, { credential: owner.bearer, body: { name } });
  return ws.id;
}

export function plantedKey(label: string): string {
  return `sk-lab-${label}-${randomBytes(16).toString('hex')}`;
}

type Lab = Awaited<ReturnType<typeof startStack>>;

/**
 * One "site": a local gateway and a desktop simulator sharing a host, the desktop signed in as
 * `account` and its gateway linked to `workspaceId`. `cloudUrl` lets a test route both through a
 * relay, as a site's link to the internet would.
 */
export async function startSite(
  lab: Lab,
  name: string,
  account: Account,
  workspaceId: string,
  options: { cloudUrl?: string; desktopEnv?: Record<string, string>; gatewayEnv?: Record<string, string> } = {},
) {
  const gateway = await lab.stack.startGateway(`${name}-gateway`, { env: options.gatewayEnv });
  const desktop = await lab.stack.startDesktop(`${name}-desktop`, {
    gatewayHome: gateway.home,
    cloudUrl: options.cloudUrl,
    env: { DESKTOP_HEARTBEAT_INTERVAL_MS: '500', DESKTOP_HEARTBEAT_TIMEOUT_MS: '1000', ...options.desktopEnv },
  });
  await desktop.call('signIn', { email: account.email, password: account.password });
  const linked = await desktop.call('linkGateway', { workspaceId });
  await gateway.process.waitForLog({ event: 'ws.welcome' });
  return { gateway, desktop, instanceId: linked.instanceId };
}

/** An agent in `workspaceId` pointing at the lab LLM provider, with `apiKey` registered there and set in the cloud. */
export async function agentWithKey(lab: Lab, owner: Account, workspaceId: string, apiKey: string): Promise<string> {
  const agent = await lab.api.request(routes.createAgent, {
    credential: owner.bearer,
    params: { wid: workspaceId },
    body: { name: 'researcher', provider: 'lab-llm', model: 'lab-model-1', baseUrl: `${lab.stack.llmUrl}/v1` },
  });
  await lab.stack.llmAdmin.registerKey(apiKey);
  await lab.api.request(routes.setAgentKey, {
    credential: owner.bearer,
    params: { wid: workspaceId, aid: agent.id },
    body: { apiKey },
  });
  return agent.id;
}

/** Every regular file under `dir` whose bytes contain any of `secrets` (plaintext canary scan). */
export async function filesContaining(dir: string, secrets: string[]): Promise<string[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const hits: string[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path).catch(() => Buffer.alloc(0));
    for (const secret of secrets) if (bytes.includes(secret)) hits.push(`${path}: ${secret.slice(0, 10)}…`);
  }
  return hits;
}

export async function runTask(
  site: {
    desktop: import('../src/desktop-driver.ts').DesktopDriver;
    gateway: { process: import('@multiclaw-lab/kit').ProcessHandle };
  },
  agentId: string,
  options: { steps?: number; stepMs?: number } = {},
) {
  const { taskId } = await site.desktop.call('startTask', {
    agentId,
    prompt: 'summarise the lab',
    steps: options.steps ?? 1,
    stepMs: options.stepMs ?? 10,
  });
  const done = await Promise.race([
    site.gateway.process.waitForLog({ event: 'task.status', taskId, state: 'completed' }),
    site.gateway.process.waitForLog({ event: 'task.status', taskId, state: 'failed' }),
  ]);
  return { taskId, state: done.json?.state as string };
}

/**
 * Polls `read` until `done(value)` holds, for state that has no event to await (e.g. rows in
 * the cloud's database as seen through its REST API). Throws with the last value on timeout.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}

/**
 * Tries a WSS upgrade on `channel` with `token`: resolves with the HTTP status of a refusal, or
 * 101 and the first frame when the cloud accepts (the socket is then closed).
 */
export async function tryUpgrade(cloudUrl: string, caPem: string, channel: 'user' | 'gateway' | 'daemon', token: string) {
  const { default: WebSocket } = await import('ws');
  const url = new URL(`/v1/realtime/${channel}`, cloudUrl);
  url.protocol = 'wss:';
  return new Promise<{ status: number; body?: string; firstFrame?: Record<string, unknown> }>((resolve, reject) => {
    const socket = new WebSocket(url, ['multiclaw.v1', `token.${token}`], { ca: caPem });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.once('message', (data) => {
      resolve({ status: 101, firstFrame: JSON.parse(String(data)) });
      socket.close();
    });
    socket.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}
