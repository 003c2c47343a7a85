import { CreateAgentRequest, ProtocolError, parseOrThrow, SetAgentKeyRequest, UpdateAgentRequest } from '@multiclaw-lab/protocol';
import { authenticate, requireMember, requireOwner } from '../auth/authenticate.ts';
import { type Ctx, nowDate } from '../context.ts';
import { keyFingerprint, newId } from '../crypto/tokens.ts';
import { agentExists, agentsOf, agentView, insertAgent, setAgentKey, updateAgent } from '../db/agents.ts';
import type { App } from '../http/app.ts';
import { param } from '../http/params.ts';
import { agentKeyContext } from '../realtime/config-sync.ts';

export function agentRoutes(app: App, ctx: Ctx): void {
  const bearer = (header: string | undefined) => authenticate(ctx, header, ['bearer']);

  /** Config changes reach connected instances at once; a failed push is retried on their next connect. */
  const push = (workspaceId: string) =>
    ctx.sync.pushWorkspace(workspaceId).catch((err: unknown) => {
      ctx.logger.error({ event: 'config.push_failed', workspaceId, err }, 'config push failed');
    });

  app.post('/v1/workspaces/:wid/agents', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    await requireOwner(ctx, me.userId, wid, 'create agents');
    const body = parseOrThrow(CreateAgentRequest, request.body);
    const row = await insertAgent(ctx.db, { id: newId('agt'), workspaceId: wid, ...body, now: nowDate(ctx) });
    ctx.logger.info({ event: 'agent.created', workspaceId: wid, agentId: row.id }, 'agent created');
    await push(wid);
    return reply.code(201).send(agentView(row));
  });

  app.get('/v1/workspaces/:wid/agents', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    await requireMember(ctx, me.userId, wid);
    return { agents: (await agentsOf(ctx.db, wid)).map(agentView) };
  });

  /** Changing providers: the new provider/model/base URL reaches instances like a new key does. */
  app.patch('/v1/workspaces/:wid/agents/:aid', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const aid = param(request, 'aid');
    await requireOwner(ctx, me.userId, wid, 'change agents');
    const change = parseOrThrow(UpdateAgentRequest, request.body);
    const row = await updateAgent(ctx.db, wid, aid, change);
    if (!row) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    ctx.logger.info(
      { event: 'agent.updated', workspaceId: wid, agentId: aid, provider: row.provider, model: row.model },
      'agent updated',
    );
    await push(wid);
    return agentView(row);
  });

  app.put('/v1/workspaces/:wid/agents/:aid/key', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const aid = param(request, 'aid');
    await requireOwner(ctx, me.userId, wid, 'set agent keys');
    const { apiKey } = parseOrThrow(SetAgentKeyRequest, request.body);
    if (!(await agentExists(ctx.db, wid, aid))) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    const sealed = await ctx.keys.seal(Buffer.from(apiKey, 'utf8'), agentKeyContext(aid));
    const fingerprint = keyFingerprint(apiKey);
    const row = await setAgentKey(ctx.db, wid, aid, { sealed, fingerprint }, nowDate(ctx));
    if (!row) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    ctx.logger.info({ event: 'agent.key_set', workspaceId: wid, agentId: aid, fingerprint }, 'agent key set');
    await push(wid);
    return agentView(row);
  });

  app.delete('/v1/workspaces/:wid/agents/:aid/key', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const aid = param(request, 'aid');
    await requireOwner(ctx, me.userId, wid, 'remove agent keys');
    const row = await setAgentKey(ctx.db, wid, aid, null, nowDate(ctx));
    if (!row) throw new ProtocolError('not_found', `no agent ${aid} in this workspace`);
    ctx.logger.info({ event: 'agent.key_removed', workspaceId: wid, agentId: aid }, 'agent key removed');
    await push(wid);
    return agentView(row);
  });
}
