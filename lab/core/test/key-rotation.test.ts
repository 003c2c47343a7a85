import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyFingerprint, routes } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import {
  agentWithKey,
  eventually,
  filesContaining,
  newAccount,
  newWorkspace,
  plantedKey,
  runTask,
  startSite,
  startStack,
} from './support.ts';

/**
 * Credentials and secrets: "Changes sync to connected cloud desktops on the next configuration
 * push. Removing a key from MultiClaw Cloud deletes the encrypted copy from every synced
 * instance." Network security: "The new key takes effect on the next configuration sync."
 */
describe('LLM key rotation and removal reach the gateway', () => {
  it('the provider sees only the new key after rotation; removal deletes the enc: copy', async () => {
    await using lab = await startStack();
    const owner = await newAccount(lab.api, 'owner');
    const workspaceId = await newWorkspace(lab.api, owner);
    const key1 = plantedKey('first');
    const agentId = await agentWithKey(lab, owner, workspaceId, key1);
    const site = await startSite(lab, 'home', owner, workspaceId);
    await site.gateway.process.waitForLog({ event: 'config.synced', keys: 1 });

    expect(await runTask(site, agentId)).toMatchObject({ state: 'completed' });
    const fp1 = keyFingerprint(key1);

    // The conversation of that task syncs to the cloud while the gateway is connected: the cloud's
    // copy equals the gateway's.
    const { conversations } = await site.desktop.call('listConversations');
    expect(conversations).toHaveLength(1);
    const local = await site.desktop.call('getConversation', { conversationId: conversations[0]!.id });
    expect(local.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const synced = await eventually(
      () =>
        lab.api
          .raw('GET', `/v1/workspaces/${workspaceId}/transcripts/${conversations[0]!.id}`, { credential: owner.bearer })
          .then((r) => r.body as { revision?: number; messages?: unknown[] }),
      (t) => t.revision === local.revision,
    );
    expect(synced.messages).toEqual(local.messages);
    expect((await lab.stack.llmAdmin.calls()).at(-1)).toMatchObject({ fingerprint: fp1, status: 200 });

    // Rotate: the new key arrives with the next push; the old one is revoked at the provider.
    const key2 = plantedKey('second');
    const versionBefore = site.gateway.process
      .jsonLines()
      .filter((l) => l.event === 'config.synced')
      .at(-1)?.version as number;
    await lab.stack.llmAdmin.registerKey(key2);
    await lab.api.request(routes.setAgentKey, {
      credential: owner.bearer,
      params: { wid: workspaceId, aid: agentId },
      body: { apiKey: key2 },
    });
    await site.gateway.process.waitForLine(
      (l) => l.json?.event === 'config.synced' && (l.json.version as number) > versionBefore,
    );
    await lab.stack.llmAdmin.revokeKey(fp1);
    const callsBefore = (await lab.stack.llmAdmin.calls()).length;

    expect(await runTask(site, agentId)).toMatchObject({ state: 'completed' });
    const after = (await lab.stack.llmAdmin.calls()).slice(callsBefore);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((c) => c.fingerprint === keyFingerprint(key2) && c.status === 200)).toBe(true);

    const configPath = join(site.gateway.home, '.openclaw', 'openclaw.json');
    const onDisk = JSON.parse(await readFile(configPath, 'utf8'));
    const agent = onDisk.agents.find((a: { id: string }) => a.id === agentId);
    expect(agent.apiKey).toMatch(/^enc:/);

    // Remove: the instance deletes its enc: copy.
    await lab.api.request(routes.removeAgentKey, { credential: owner.bearer, params: { wid: workspaceId, aid: agentId } });
    await site.gateway.process.waitForLog({ event: 'config.synced', keys: 0 });
    const afterRemoval = JSON.parse(await readFile(configPath, 'utf8'));
    expect(afterRemoval.agents.find((a: { id: string }) => a.id === agentId).apiKey).toBeNull();
    const removedTask = await runTask(site, agentId);
    expect(removedTask.state).toBe('failed');

    // Neither key is in plaintext in any file of the run: logs, homes, profiles, configs.
    await site.desktop.close();
    await site.gateway.process.stop();
    expect(await filesContaining(lab.stack.dir, [key1, key2])).toEqual([]);
  });
});
