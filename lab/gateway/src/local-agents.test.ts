import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveInstanceKey, OpenclawConfig, seal } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './gateway.ts';
import { FAST, GATEWAY_TOKEN, INSTANCE_ID, WORKSPACE_ID } from './test-support/homes.ts';
import { captureLogs, type LogCapture } from './test-support/log-capture.ts';
import { StandInCloud } from './test-support/stand-in-cloud.ts';
import { type StandInLlm, startStandInLlm } from './test-support/stand-in-llm.ts';

/** A key the user typed into openclaw.json for a local-only agent (planted: it must reach the provider only). */
const LOCAL_KEY = 'PLANTED-local-only-key-7d41c0a9e3';
const SYNCED_KEY = 'PLANTED-synced-key-2b9e5f1a6c';

let cloud: StandInCloud;
let llm: StandInLlm;
let gateway: GatewayHandle;
let logs: LogCapture;
let home: string;

const configPath = () => join(home, '.openclaw/openclaw.json');
const readConfig = async () => OpenclawConfig.parse(JSON.parse(await readFile(configPath(), 'utf8')));
const localAgent = () => ({
  id: 'local1',
  name: 'Mine',
  provider: 'lab',
  model: 'lab-model',
  baseUrl: llm.baseUrl,
  apiKey: LOCAL_KEY,
});

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json' },
  });
}

async function runTask(agentId: string): Promise<Record<string, unknown>> {
  const res = await api('/v1/tasks', { method: 'POST', body: JSON.stringify({ agentId, prompt: 'hi', steps: 0, stepMs: 0 }) });
  const { taskId } = (await res.json()) as { taskId: string };
  return Promise.race([
    logs.waitFor({ event: 'task.status', taskId, state: 'completed' }),
    logs.waitFor({ event: 'task.status', taskId, state: 'failed' }),
  ]);
}

beforeAll(async () => {
  cloud = await StandInCloud.start();
  llm = await startStandInLlm();
  logs = captureLogs();
  // as a user would: an unlinked gateway's openclaw.json with an agent typed in by hand
  home = await mkdtemp(join(tmpdir(), 'gw-local-'));
  await mkdir(join(home, '.openclaw'), { mode: 0o700 });
  await writeFile(configPath(), JSON.stringify({ version: 1, agents: [localAgent()] }), { mode: 0o600 });
  gateway = await startGateway({ home, mode: 'local', logger: logs.logger, ca: [cloud.ca, llm.ca], ...FAST });
});
afterAll(async () => {
  await gateway.close();
  await llm.close();
  await cloud.close();
});

describe('local-only agents (plain key typed into openclaw.json)', () => {
  it('run with the plain key, unlinked', async () => {
    expect((await runTask('local1')).state).toBe('completed');
    expect(llm.bearers).toEqual([LOCAL_KEY]);
  });

  it('survive linking and config syncs; nothing about them reaches the cloud', async () => {
    const body = JSON.stringify({
      cloudUrl: cloud.url,
      workspaceId: WORKSPACE_ID,
      instanceId: INSTANCE_ID,
      authToken: GATEWAY_TOKEN,
    });
    expect((await api('/v1/workspace', { method: 'PUT', body })).status).toBe(204);
    await cloud.connection(1);
    const synced = seal(SYNCED_KEY, deriveInstanceKey(GATEWAY_TOKEN, INSTANCE_ID), INSTANCE_ID, 'cloud1');
    const cloudAgent = { id: 'cloud1', name: 'Team', provider: 'lab', model: 'lab-model', baseUrl: llm.baseUrl, apiKey: synced };
    cloud.sendConfig({ version: 1, workspaceId: WORKSPACE_ID, instanceId: INSTANCE_ID, agents: [cloudAgent] });
    await cloud.until(() => cloud.configAcks.includes(1));
    expect((await readConfig()).agents).toEqual([cloudAgent, localAgent()]);
    // a sync without the cloud agent deletes it, never the local one
    cloud.sendConfig({ version: 2, workspaceId: WORKSPACE_ID, instanceId: INSTANCE_ID, agents: [] });
    await cloud.until(() => cloud.configAcks.includes(2));
    expect((await readConfig()).agents).toEqual([localAgent()]);
    expect((await stat(configPath())).mode & 0o777).toBe(0o600);

    expect((await runTask('local1')).state).toBe('completed');
    expect(llm.bearers.at(-1)).toBe(LOCAL_KEY);
    await cloud.until(() => cloud.transcripts.length > 0);
    const sent = JSON.stringify([cloud.connections.map((c) => c.frames), cloud.mintCredentials]);
    expect(sent).not.toContain(LOCAL_KEY);
    expect(logs.lines.join('\n')).not.toContain(LOCAL_KEY);
  });
});
