import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deriveInstanceKey, OpenclawConfig, seal } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from './gateway.ts';
import { filesContaining } from './test-support/files.ts';
import { FAST, GATEWAY_TOKEN, INSTANCE_ID, linkedHome, WORKSPACE_ID } from './test-support/homes.ts';
import { captureLogs, type LogCapture } from './test-support/log-capture.ts';
import { StandInCloud } from './test-support/stand-in-cloud.ts';
import { type StandInLlm, startStandInLlm } from './test-support/stand-in-llm.ts';

/**
 * Planted LLM keys. The first is deliberately not in a known key shape, so the log scrubber
 * cannot hide a leak: it proves the gateway never emits it. The second has the `sk-` shape
 * and proves the logger configuration redacts such keys even where a message carries one.
 */
const KEY = 'PLANTED-llm-key-0f3c9a7e51d2b8';
const SK_KEY = 'sk-lab-PLANTEDkey0123456789abcdef';

let cloud: StandInCloud;
let llm: StandInLlm;
let gateway: GatewayHandle;
let logs: LogCapture;
let home: string;
const responses: string[] = [];

const sealed = (key: string, agentId: string) => seal(key, deriveInstanceKey(GATEWAY_TOKEN, INSTANCE_ID), INSTANCE_ID, agentId);
const agent = (apiKey: string | null, id = 'a1') => ({
  id,
  name: 'Agent',
  provider: 'lab',
  model: 'lab-model',
  baseUrl: llm.baseUrl,
  apiKey,
});
const readConfig = async () => OpenclawConfig.parse(JSON.parse(await readFile(join(home, '.openclaw/openclaw.json'), 'utf8')));

async function api(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${gateway.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${gateway.sessionToken}`, 'content-type': 'application/json' },
  });
  const text = await res.text();
  responses.push(text);
  return text ? JSON.parse(text) : undefined;
}

async function runTask(agentId = 'a1'): Promise<{ taskId: string; conversationId: string; final: Record<string, unknown> }> {
  const started = (await api('/v1/tasks', {
    method: 'POST',
    body: JSON.stringify({ agentId, prompt: 'hello', steps: 1, stepMs: 0 }),
  })) as {
    taskId: string;
    conversationId: string;
  };
  const final = await Promise.race([
    logs.waitFor({ event: 'task.status', taskId: started.taskId, state: 'completed' }),
    logs.waitFor({ event: 'task.status', taskId: started.taskId, state: 'failed' }),
  ]);
  return { ...started, final };
}

async function sync(version: number, agents: ReturnType<typeof agent>[]): Promise<void> {
  cloud.sendConfig({ version, workspaceId: WORKSPACE_ID, instanceId: INSTANCE_ID, agents });
  await cloud.until(() => cloud.configAcks.includes(version));
}

beforeAll(async () => {
  cloud = await StandInCloud.start();
  llm = await startStandInLlm();
  logs = captureLogs();
  home = await linkedHome(cloud.url);
  gateway = await startGateway({ home, mode: 'local', logger: logs.logger, ca: [cloud.ca, llm.ca], ...FAST });
  await cloud.connection(1);
});
afterAll(async () => {
  await gateway.close();
  await llm.close();
  await cloud.close();
});

describe('config sync and LLM keys', () => {
  it('keeps synced keys enc: on disk, sets configVersion and acks', async () => {
    const value = sealed(KEY, 'a1');
    await sync(3, [agent(value)]);
    const config = await readConfig();
    expect(config.configVersion).toBe(3);
    expect(config.agents).toEqual([agent(value)]);
    expect(await api('/v1/status')).toMatchObject({ workspace: { configVersion: 3 }, agents: [{ id: 'a1', hasKey: true }] });
  });

  it('calls the provider over HTTPS with the key decrypted in memory, and records the exchange', async () => {
    const { conversationId, final } = await runTask();
    expect(final.state).toBe('completed');
    expect(llm.bearers).toEqual([KEY]);
    const conversation = (await api(`/v1/conversations/${conversationId}`)) as {
      revision: number;
      messages: { role: string; content: string }[];
    };
    expect(conversation.revision).toBe(2);
    expect(conversation.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'hello'],
      ['assistant', 'hello from the stand-in model'],
    ]);
    await cloud.until(() => cloud.transcripts.some((t) => t.conversationId === conversationId && t.revision === 2));
    expect(await api('/v1/conversations')).toMatchObject({ conversations: [{ id: conversationId, revision: 2 }] });
  });

  it('fails a task whose key the provider refuses without echoing the key', async () => {
    llm.refuse = true;
    const { taskId, final } = await runTask();
    llm.refuse = false;
    expect(final.state).toBe('failed');
    const view = (await api(`/v1/tasks/${taskId}`)) as { statuses: { state: string; detail: string }[] };
    expect(view.statuses.at(-1)).toMatchObject({
      state: 'failed',
      detail: 'LLM provider refused the call: HTTP 401 (invalid_request_error, invalid_api_key)',
    });
  });

  it('deletes the key on disk when a sync removes it', async () => {
    await sync(4, [agent(null)]);
    const config = await readConfig();
    expect(config.agents[0]!.apiKey).toBeNull();
    expect(JSON.stringify(config)).not.toContain('enc:');
    const { final, taskId } = await runTask();
    expect(final.state).toBe('failed');
    const view = (await api(`/v1/tasks/${taskId}`)) as { statuses: { detail: string }[] };
    expect(view.statuses.at(-1)!.detail).toContain('has no API key');
  });

  it('redacts an sk- key by logger configuration', async () => {
    await sync(5, [agent(sealed(SK_KEY, 'a1'))]);
    await runTask();
    expect(llm.bearers.at(-1)).toBe(SK_KEY);
    logs.logger.warn({ event: 'test.planted', apiKey: SK_KEY }, `provider said ${SK_KEY}`);
    expect(logs.text()).toContain('test.planted');
  });

  it('never lets a key reach the disk in plaintext, the log, an API response or a transcript', async () => {
    for (const key of [KEY, SK_KEY]) {
      expect(await filesContaining(home, key)).toEqual([]);
      expect(logs.text()).not.toContain(key);
      expect(responses.join('\n')).not.toContain(key);
      expect(JSON.stringify(cloud.transcripts)).not.toContain(key);
      expect(JSON.stringify(cloud.received)).not.toContain(key);
    }
    expect(cloud.transcripts.length).toBeGreaterThan(0);
    expect(responses.length).toBeGreaterThan(5);
  });
});
