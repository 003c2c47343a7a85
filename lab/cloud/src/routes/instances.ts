import { CreateGatewayTokenRequest, CreateInstanceRequest, ProtocolError, parseOrThrow } from '@multiclaw-lab/protocol';
import { authenticate, requireMember, requireOwner } from '../auth/authenticate.ts';
import { issueInstance } from '../auth/instance-credentials.ts';
import type { Ctx } from '../context.ts';
import { addViewer, type InstanceRow, instancesOf, removeViewer } from '../db/instances.ts';
import { roleOf } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';
import { param } from '../http/params.ts';

export function instanceRoutes(app: App, ctx: Ctx): void {
  const bearer = (header: string | undefined) => authenticate(ctx, header, ['bearer']);

  const view = (row: Pick<InstanceRow, 'id' | 'workspace_id' | 'name' | 'kind' | 'user_id' | 'config_version'>) => ({
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind,
    userId: row.user_id,
    connected: ctx.hub.where((s) => s.channel !== 'user' && s.instanceId === row.id).length > 0,
    configVersion: row.config_version,
  });

  app.post('/v1/workspaces/:wid/gateway-tokens', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    await requireMember(ctx, me.userId, wid);
    const body = parseOrThrow(CreateGatewayTokenRequest, request.body);
    const { id, token } = await issueInstance(ctx, {
      workspaceId: wid,
      kind: 'gateway',
      name: body.deviceName,
      userId: me.userId,
    });
    return reply.code(201).send({ instanceId: id, workspaceId: wid, authToken: token });
  });

  app.post('/v1/workspaces/:wid/instances', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    await requireOwner(ctx, me.userId, wid, 'create cloud desktops');
    const body = parseOrThrow(CreateInstanceRequest, request.body);
    const { id, token } = await issueInstance(ctx, { workspaceId: wid, kind: 'cloud-desktop', name: body.name, userId: null });
    const instance = view({ id, workspace_id: wid, name: body.name, kind: 'cloud-desktop', user_id: null, config_version: 0 });
    return reply.code(201).send({ instance, instanceToken: token });
  });

  /** Owners see every instance; members see the cloud desktops and their own gateways (least privilege). */
  app.get('/v1/workspaces/:wid/instances', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const role = await requireMember(ctx, me.userId, wid);
    const rows = await instancesOf(ctx.db, wid);
    const visible = rows.filter((r) => role === 'owner' || r.kind === 'cloud-desktop' || r.user_id === me.userId);
    return { instances: visible.map(view) };
  });

  async function viewerTarget(request: Parameters<typeof param>[0]) {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const iid = param(request, 'iid');
    const uid = param(request, 'uid');
    await requireOwner(ctx, me.userId, wid, 'change who may view a cloud desktop');
    const desktop = (await instancesOf(ctx.db, wid)).find((r) => r.id === iid && r.kind === 'cloud-desktop');
    if (!desktop) throw new ProtocolError('not_found', `no cloud desktop ${iid} in this workspace`);
    return { wid, iid, uid };
  }

  app.put('/v1/workspaces/:wid/instances/:iid/viewers/:uid', async (request, reply) => {
    const { wid, iid, uid } = await viewerTarget(request);
    if (!(await roleOf(ctx.db, wid, uid))) throw new ProtocolError('not_found', `user ${uid} is not a member of this workspace`);
    await addViewer(ctx.db, iid, uid);
    ctx.logger.info({ event: 'instance.viewer_added', instanceId: iid, userId: uid }, 'viewer added');
    return reply.code(204).send();
  });

  app.delete('/v1/workspaces/:wid/instances/:iid/viewers/:uid', async (request, reply) => {
    const { iid, uid } = await viewerTarget(request);
    await removeViewer(ctx.db, iid, uid);
    ctx.rtc.endViewer(iid, uid, 'viewer access removed');
    ctx.logger.info({ event: 'instance.viewer_removed', instanceId: iid, userId: uid }, 'viewer removed');
    return reply.code(204).send();
  });
}
