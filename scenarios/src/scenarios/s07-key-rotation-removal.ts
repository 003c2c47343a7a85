import assert from 'node:assert/strict';
import { deriveInstanceKey, inviteAndAccept, isSealed, keyFingerprint, routePath, routes, unseal } from '@multiclaw-lab/protocol';
import { defineScenario } from '../define.ts';
import { CLOUD_DESKTOP, localGateway, readOpenclaw, runTask, type SyncedInstance, waitForSync } from './synced-instances.ts';

/**
 * An agent's key goes through its life in the cloud's agent settings: set, rotated, removed.
 * Every synced instance — the site's local gateway and the cloud desktop's daemon — follows on
 * the next config push: the rotated key arrives (`enc:`, opening to the new key), the provider
 * sees only the new key from then on; a change of provider and model (PATCH of the agent, with
 * a new key) reaches every openclaw.json on the next sync and the next task calls the provider
 * with the new model and key; after removal no instance keeps an `enc:` copy.
 */
export default defineScenario({
  id: 'S07-key-rotation-removal',
  title: 'Key rotated → next sync carries it, provider sees only the new key; key removed → every instance deletes its enc: copy',
  claims: ['CS-03', 'CS-04', 'CS-10', 'CS-11', 'CS-14', 'CS-15', 'CS-16', 'NS-05', 'NS-39', 'NS-41', 'NS-43', 'NS-44'],
  tags: ['keys'],
  needs: ['host-files'],
  timeoutMs: 240_000,
  async run(ctx) {
    const { lab } = ctx;
    // The cloud desktop's daemon serves the lab's workspace: the agent lives there, made by its owner.
    const demoOwner = lab.accounts[0]!;
    const { bearer: ownerBearer } = await ctx.api.request(routes.signIn, {
      body: { email: demoOwner.email, password: demoOwner.password },
    });
    const workspaceId = lab.workspaceId;
    const bob = await ctx.account('bob');
    await inviteAndAccept(ctx.api, { ownerBearer, wid: workspaceId, member: bob });
    const desktop = await ctx.useDesktop('s1-d1', bob, { workspaceId });
    const instances: SyncedInstance[] = [localGateway('s1-d1'), CLOUD_DESKTOP];
    const oldKey = await ctx.apiKey('old');
    const newKey = await ctx.apiKey('new');
    const switchedKey = await ctx.apiKey('switched');

    const { id: agentId } = await ctx.api.request(routes.createAgent, {
      credential: ownerBearer,
      params: { wid: workspaceId },
      body: { name: `${ctx.id}-agent`, provider: 'lab-llm', model: 'lab-model-1', baseUrl: 'https://api.llm.test/v1' },
    });

    /** Each instance's copy of the agent's key after the next sync that holds `expected` (null: no key). */
    const syncedTo = async (marks: number[], expected: string | null, what: string) => {
      for (const [i, instance] of instances.entries()) {
        const { text, config } = await waitForSync(
          ctx,
          instance,
          marks[i]!,
          (c) => {
            const value = c.agents.find((a) => a.id === agentId)?.apiKey;
            if (value === undefined) return false;
            if (expected === null) return value === null;
            return value !== null && isSealed(value) && open(c, value) === expected;
          },
          what,
        );
        for (const k of [oldKey, newKey, switchedKey])
          assert.equal(text.includes(k), false, `${instance.service}: openclaw.json holds an LLM key in plaintext`);
        ctx.note('instance.synced', { instance: instance.service, configVersion: config.configVersion, what });
      }
    };
    const open = (c: { workspace: { authToken: string; instanceId: string } | null }, value: string) => {
      const ws = c.workspace;
      if (!ws) return undefined;
      try {
        return unseal(value, deriveInstanceKey(ws.authToken, ws.instanceId), ws.instanceId, agentId);
      } catch {
        return undefined;
      }
    };
    const marks = () => instances.map((i) => lab.service(i.service).handle.lines.length);
    const setKey = (apiKey: string) =>
      ctx.api.request(routes.setAgentKey, {
        credential: ownerBearer,
        params: { wid: workspaceId, aid: agentId },
        body: { apiKey },
      });

    await ctx.check(
      ['CS-14', 'CS-15', 'CS-10', 'CS-04', 'NS-39', 'NS-05'],
      'key set in the agent settings → every instance holds it as enc:',
      async () => {
        const m = marks();
        const view = await setKey(oldKey);
        assert.equal(view.key.set, true, 'the agent view does not show a key after PUT');
        assert.equal(view.key.fingerprint !== null, true, 'no fingerprint in the agent view');
        await syncedTo(m, oldKey, 'the first key');
      },
    );

    await ctx.check(['CS-11', 'NS-41'], 'a task decrypts the key in memory and calls the provider with it', async () => {
      const calls = (await lab.llmAdmin.calls()).length;
      const task = await runTask(ctx, desktop, 's1-d1', agentId, 'first call');
      assert.equal(task.state, 'completed', `the task ended ${task.state}`);
      const made = (await lab.llmAdmin.calls()).slice(calls).filter((c) => c.fingerprint === keyFingerprint(oldKey));
      assert.equal(made.length, 1, 'the provider did not record exactly one call with the key');
      assert.equal(made[0]!.status, 200, `the provider answered ${made[0]!.status}`);
      const { text } = await readOpenclaw(ctx, instances[0]!);
      assert.equal(text.includes(oldKey), false, 'the gateway wrote the key in plaintext after using it');
    });

    const rotatedAt = Date.now();
    await ctx.check(
      ['CS-15', 'NS-44', 'NS-43', 'CS-14'],
      'key rotated → the next sync carries the new key to every instance',
      async () => {
        const m = marks();
        const view = await setKey(newKey);
        assert.equal(view.key.fingerprint !== null && view.key.set, true, 'the agent view shows no key after rotation');
        await syncedTo(m, newKey, 'the rotated key');
        ctx.metric('rotation to every instance synced', Date.now() - rotatedAt, 'ms');
      },
    );

    await ctx.check(['NS-44', 'CS-11'], 'from then on the provider sees only the new key', async () => {
      const calls = (await lab.llmAdmin.calls()).length;
      for (const prompt of ['after rotation 1', 'after rotation 2']) {
        const task = await runTask(ctx, desktop, 's1-d1', agentId, prompt);
        assert.equal(task.state, 'completed', `a task after rotation ended ${task.state}`);
      }
      const after = (await lab.llmAdmin.calls()).slice(calls);
      const fingerprints = after.map((c) => c.fingerprint);
      // the old key is still valid at the provider: a stale copy would show here, and succeed
      assert.equal(fingerprints.includes(keyFingerprint(oldKey)), false, 'the old key was used after rotation');
      assert.equal(
        fingerprints.filter((f) => f === keyFingerprint(newKey)).length,
        2,
        `expected two calls with the new key, saw ${JSON.stringify(after)}`,
      );
    });

    await ctx.check(
      ['NS-43', 'NS-44', 'CS-15'],
      'provider changed in the agent settings (new provider, model, key) → next sync; the next task uses them',
      async () => {
        const change = { provider: 'lab-llm-switched', model: 'lab-model-2' };
        const agentPath = routePath(routes.updateAgent, { wid: workspaceId, aid: agentId });
        const byMember = await ctx.api.raw('PATCH', agentPath, { credential: bob.bearer, body: change });
        assert.equal(byMember.status, 403, `a member changing the agent's provider: expected 403, got ${byMember.status}`);
        const m = marks();
        const view = await ctx.api.request(routes.updateAgent, {
          credential: ownerBearer,
          params: { wid: workspaceId, aid: agentId },
          body: change,
        });
        assert.deepEqual([view.provider, view.model], [change.provider, change.model], 'the agent view after PATCH');
        await setKey(switchedKey);
        await syncedTo(m, switchedKey, 'the new provider, model and key');
        for (const instance of instances) {
          const agent = (await readOpenclaw(ctx, instance)).config.agents.find((a) => a.id === agentId);
          assert.deepEqual(
            [agent?.provider, agent?.model],
            [change.provider, change.model],
            `${instance.service}: openclaw.json after the sync shows ${agent?.provider}/${agent?.model}`,
          );
        }
        const calls = (await lab.llmAdmin.calls()).length;
        const task = await runTask(ctx, desktop, 's1-d1', agentId, 'after switching providers');
        assert.equal(task.state, 'completed', `the task after the switch ended ${task.state}`);
        const after = (await lab.llmAdmin.calls()).slice(calls);
        assert.deepEqual(
          after.map((c) => [c.fingerprint, c.model, c.status]),
          [[keyFingerprint(switchedKey), change.model, 200]],
          `the provider's call log after the switch: ${JSON.stringify(after)}`,
        );
      },
    );

    await ctx.check(
      ['CS-16', 'CS-03', 'CS-04', 'CS-14'],
      'key removed → no instance keeps an enc: copy; the cloud no longer has it',
      async () => {
        const before = await Promise.all(instances.map((i) => readOpenclaw(ctx, i)));
        const copies = before.map((b) => b.config.agents.find((a) => a.id === agentId)?.apiKey);
        const m = marks();
        const view = await ctx.api.request(routes.removeAgentKey, {
          credential: ownerBearer,
          params: { wid: workspaceId, aid: agentId },
        });
        assert.deepEqual(
          view.key,
          { set: false, fingerprint: null, updatedAt: view.key.updatedAt },
          'the agent still shows a key',
        );
        await syncedTo(m, null, 'the removal');
        for (const [i, instance] of instances.entries()) {
          const { text } = await readOpenclaw(ctx, instance);
          assert.equal(text.includes(copies[i]!), false, `${instance.service} still holds its old enc: copy`);
        }
        const listed = await ctx.api.request(routes.listAgents, { credential: bob.bearer, params: { wid: workspaceId } });
        assert.equal(listed.agents.find((a) => a.id === agentId)?.key.set, false, 'a member still sees a key set');
      },
    );

    await ctx.check(['CS-16', 'CS-03'], 'a task after removal cannot call the provider', async () => {
      const calls = (await lab.llmAdmin.calls()).length;
      const task = await runTask(ctx, desktop, 's1-d1', agentId, 'after removal');
      assert.equal(task.state, 'failed', `a task without a key ended ${task.state}`);
      const after = (await lab.llmAdmin.calls()).slice(calls);
      assert.equal(
        after.some((c) => [oldKey, newKey, switchedKey].some((k) => c.fingerprint === keyFingerprint(k))),
        false,
        'the provider was called with a removed key',
      );
    });
  },
});
