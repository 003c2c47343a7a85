import type { ConfigSync } from '@multiclaw-lab/protocol';
import { deriveInstanceKey, seal } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import { agentsOf } from '../db/agents.ts';
import { activeInstanceById, nextConfigVersion } from '../db/instances.ts';
import { mutant } from '../mutant.ts';
import type { Session } from './hub.ts';
import { KeyedQueue } from './keyed-queue.ts';

export const agentKeyContext = (agentId: string) => `agent-key:${agentId}`;
export const syncKeyContext = (instanceId: string) => `sync-key:${instanceId}`;

/**
 * Config sync: a full snapshot of the workspace's agents, each key re-sealed for one instance
 * (`enc:`, AES-256-GCM under HKDF(instance token, instance id), label = agent id). The sync key
 * is stored sealed under the master key; the instance token itself is never stored.
 */
export class ConfigSyncer {
  readonly #ctx: Ctx;
  readonly #queue = new KeyedQueue();

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
    ctx.cluster.bus.on('config', (body) => this.pushHere((body as { workspaceId: string }).workspaceId));
  }

  async snapshot(instanceId: string): Promise<ConfigSync | undefined> {
    const { db, keys } = this.#ctx;
    const instance = await activeInstanceById(db, instanceId);
    if (!instance) return undefined;
    const syncKey = mutant('sync-key-not-per-instance')
      ? deriveInstanceKey(instance.workspace_id, 'one-key-for-every-instance')
      : await keys.open(instance.sync_key_sealed, syncKeyContext(instance.id));
    try {
      const agents = [];
      for (const agent of await agentsOf(db, instance.workspace_id)) {
        let apiKey: string | null = null;
        if (agent.key_sealed) {
          const plain = mutant('api-key-stored-plaintext')
            ? Buffer.from(agent.key_sealed, 'utf8')
            : await keys.open(agent.key_sealed, agentKeyContext(agent.id));
          apiKey =
            mutant('sync-key-in-plaintext') || mutant('sync-key-sealed-by-gateway')
              ? plain.toString('utf8')
              : seal(plain.toString('utf8'), syncKey, instance.id, agent.id);
          plain.fill(0);
        }
        agents.push({
          id: agent.id,
          name: agent.name,
          provider: agent.provider,
          model: agent.model,
          baseUrl: agent.base_url,
          apiKey,
        });
      }
      const version = await nextConfigVersion(db, instance.id);
      return { type: 'config.sync', version, workspaceId: instance.workspace_id, instanceId: instance.id, agents };
    } finally {
      syncKey.fill(0);
    }
  }

  /** Sends a fresh snapshot to one connected gateway/daemon session. */
  push(session: Session): Promise<void> {
    const instanceId = session.instanceId;
    if (!instanceId) return Promise.resolve();
    return this.#queue.run(instanceId, async () => {
      const frame = await this.snapshot(instanceId);
      if (!frame || this.#ctx.hub.get(session.id) !== session) return;
      this.#ctx.hub.send(session, frame);
      this.#ctx.logger.info(
        { event: 'config.pushed', instanceId, version: frame.version, agents: frame.agents.length, connectionId: session.id },
        'config snapshot pushed',
      );
    });
  }

  /**
   * After any change to a workspace's agents or keys: push to every connected instance of it,
   * on this cloud process and (through the cluster) on the others.
   */
  async pushWorkspace(workspaceId: string): Promise<void> {
    this.#ctx.cluster.bus
      .publish('config', { workspaceId })
      .catch((err: unknown) =>
        this.#ctx.logger.error(
          { event: 'cluster.publish_failed', kind: 'config', err },
          'could not tell the other cloud processes',
        ),
      );
    await this.pushHere(workspaceId);
  }

  /** Pushes to the workspace's instances connected to this process. */
  async pushHere(workspaceId: string): Promise<void> {
    const sessions = this.#ctx.hub.where((s) => s.channel !== 'user' && s.workspaceId === workspaceId);
    await Promise.all(sessions.map((s) => this.push(s)));
  }
}
