import { keyFingerprint, ProtocolError, routes } from '@multiclaw-lab/protocol';
import { type Ctx, nowDate } from '../context.ts';
import { newId } from '../crypto/tokens.ts';
import { agentExists, agentsOf, agentView, insertAgent, setAgentKey, updateAgent } from '../db/agents.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';
import { mutant } from '../mutant.ts';
import { agentKeyContext } from '../realtime/config-sync.ts';

export function agentRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);

  /** Config changes reach connected instances at once; a failed push is retried on their next connect. */
  const push = (workspaceId: string) =>
    ctx.sync.pushWorkspace(workspaceId).catch((err: unknown) => {
      ctx.logger.error({ event: 'config.push_failed', workspaceId, err }, 'config push failed');
    });

  on(routes.createAgent, async ({ params: { wid }, body }) => {
    const row = await insertAgent(ctx.db, { id: newId('agt'), workspaceId: wid, ...body, now: nowDate(ctx) });
    ctx.logger.info({ event: 'agent.created', workspaceId: wid, agentId: row.id }, 'agent created');
    await push(wid);
    return agentView(row);
  });

  on(routes.listAgents, async ({ params: { wid } }) => ({ agents: (await agentsOf(ctx.db, wid)).map(agentView) }));

  /** Changing providers: the new provider/model/base URL reaches instances like a new key does. */
  on(routes.updateAgent, async ({ params: { wid, aid }, body }) => {
    const row = await updateAgent(ctx.db, wid, aid, body);
    if (!row) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    ctx.logger.info(
      { event: 'agent.updated', workspaceId: wid, agentId: aid, provider: row.provider, model: row.model },
      'agent updated',
    );
    await push(wid);
    return agentView(row);
  });

  on(routes.setAgentKey, async ({ params: { wid, aid }, body: { apiKey } }) => {
    if (!(await agentExists(ctx.db, wid, aid))) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    const sealed = mutant('api-key-stored-plaintext')
      ? apiKey
      : await ctx.keys.seal(Buffer.from(apiKey, 'utf8'), agentKeyContext(aid));
    const fingerprint = keyFingerprint(apiKey);
    const row = await setAgentKey(ctx.db, wid, aid, { sealed, fingerprint }, nowDate(ctx));
    if (!row) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    ctx.logger.info(
      { event: 'agent.key_set', workspaceId: wid, agentId: aid, fingerprint },
      mutant('api-key-logged-by-cloud') ? `agent key set: ${apiKey}` : 'agent key set',
    );
    if (!mutant('key-rotation-not-pushed')) await push(wid);
    return agentView(row);
  });

  on(routes.removeAgentKey, async ({ params: { wid, aid } }) => {
    const row = await setAgentKey(ctx.db, wid, aid, null, nowDate(ctx));
    if (!row) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    ctx.logger.info({ event: 'agent.key_removed', workspaceId: wid, agentId: aid }, 'agent key removed');
    if (!mutant('removed-key-left-on-instances')) await push(wid);
    return agentView(row);
  });
}
