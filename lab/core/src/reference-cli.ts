import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { routes, signUpAndIn } from '@multiclaw-lab/protocol';
import { CloudApi } from './cloud-api.ts';
import { LoopbackStack } from './loopback-stack.ts';

/**
 * `pnpm reference`: the whole reference MultiClaw on this machine's loopback, in the
 * foreground, until Ctrl-C. It provisions a demo account, workspace and agent, starts a local
 * gateway and a desktop simulator, signs in, links the gateway, runs one task, and prints where
 * everything is. Ctrl-C stops every process it started and removes the throwaway database.
 */
const say = (text: string) => process.stderr.write(`[reference] ${text}\n`);

async function main(): Promise<void> {
  const dir = resolve('.lab', 'reference', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(dir, { recursive: true });
  say(`state and logs in ${dir}`);
  say('starting PostgreSQL, cloud, LLM provider and CDN…');
  const stack = await LoopbackStack.start({ dir });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await stack.close();
    say('stopped; logs kept in the folder above');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    const api = new CloudApi(stack.cloudUrl, stack.ca.certPem);
    const email = 'demo@multiclaw.test';
    const password = `demo-${randomBytes(9).toString('base64url')}`;
    const { bearer } = await signUpAndIn(api, { email, password, name: 'Demo User' });
    const workspace = await api.request(routes.createWorkspace, { credential: bearer, body: { name: 'Demo workspace' } });
    const agent = await api.request(routes.createAgent, {
      credential: bearer,
      params: { wid: workspace.id },
      body: { name: 'demo-agent', provider: 'lab-llm', model: 'lab-model-1', baseUrl: `${stack.llmUrl}/v1` },
    });
    const apiKey = `sk-lab-demo-${randomBytes(12).toString('hex')}`;
    await stack.llmAdmin.registerKey(apiKey);
    await api.request(routes.setAgentKey, { credential: bearer, params: { wid: workspace.id, aid: agent.id }, body: { apiKey } });
    await api.close();

    say('starting a local gateway and a desktop simulator…');
    const gateway = await stack.startGateway('desktop-1-gateway');
    const desktop = await stack.startDesktop('desktop-1', { gatewayHome: gateway.home });
    await desktop.call('signIn', { email, password });
    await desktop.call('connect');
    await desktop.call('linkGateway', { workspaceId: workspace.id });
    await gateway.process.waitForLog({ event: 'config.synced', keys: 1 });
    const { taskId } = await desktop.call('startTask', {
      agentId: agent.id,
      prompt: 'Hello from the reference stack',
      steps: 2,
    });
    await gateway.process.waitForLog({ event: 'task.status', taskId, state: 'completed' });

    process.stdout.write(
      `${[
        '',
        'MultiClaw reference stack is up (Ctrl-C to stop):',
        `  cloud         ${stack.cloudUrl}   (PostgreSQL behind it)`,
        `  LLM provider  ${stack.llmUrl}`,
        `  update CDN    ${stack.cdnUrl}`,
        `  gateway HOME  ${gateway.home}`,
        `  lab CA        ${join(stack.dir, 'trust', 'ca-certificates.crt')}`,
        `  logs          ${join(stack.dir, 'logs')}`,
        `  demo account  ${email} / ${password}  (workspace ${workspace.id})`,
        `  a task ran    ${taskId}: completed; the desktop is connected and the gateway linked`,
        '',
        `try: curl --cacert ${join(stack.dir, 'trust', 'ca-certificates.crt')} ${stack.cloudUrl}/healthz`,
        '',
      ].join('\n')}\n`,
    );
  } catch (err) {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    await stack.close();
    process.exit(1);
  }
}

await main();
