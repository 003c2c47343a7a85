import { ProtocolError, routes } from '@multiclaw-lab/protocol';
import { issueInstance } from '../auth/instance-credentials.ts';
import type { Ctx } from '../context.ts';
import { addViewer, type InstanceRow, instancesOf, removeViewer } from '../db/instances.ts';
import { roleOf } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';

export function instanceRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);

  const view = (
    row: Pick<InstanceRow, 'id' | 'workspace_id' | 'name' | 'kind' | 'user_id' | 'config_version'>,
    connected: Set<string>,
  ) => ({
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind,
    userId: row.user_id,
    connected: connected.has(row.id),
    configVersion: row.config_version,
  });

  on(routes.createGatewayToken, async ({ principal, params: { wid }, body }) => {
    const { id, token } = await issueInstance(ctx, {
      workspaceId: wid,
      kind: 'gateway',
      name: body.deviceName,
      userId: principal.userId,
    });
    return { instanceId: id, workspaceId: wid, authToken: token };
  });

  on(routes.createInstance, async ({ params: { wid }, body }) => {
    const { id, token } = await issueInstance(ctx, { workspaceId: wid, kind: 'cloud-desktop', name: body.name, userId: null });
    const instance = view(
      { id, workspace_id: wid, name: body.name, kind: 'cloud-desktop', user_id: null, config_version: 0 },
      new Set(),
    );
    return { instance, instanceToken: token };
  });

  /** Owners see every instance; members see the cloud desktops and their own gateways (least privilege). */
  on(routes.listInstances, async ({ principal, params: { wid }, role }) => {
    const rows = await instancesOf(ctx.db, wid);
    const visible = rows.filter((r) => role === 'owner' || r.kind === 'cloud-desktop' || r.user_id === principal.userId);
    // connected to this cloud process or to any other sharing the database
    const connected = await ctx.cluster.connected(visible.map((r) => r.id));
    return { instances: visible.map((r) => view(r, connected)) };
  });

  async function requireDesktop(wid: string, iid: string): Promise<void> {
    const desktop = (await instancesOf(ctx.db, wid)).find((r) => r.id === iid && r.kind === 'cloud-desktop');
    if (!desktop) throw new ProtocolError('not_found', `no cloud desktop ${iid} in this workspace`);
  }

  on(routes.addViewer, async ({ params: { wid, iid, uid } }) => {
    await requireDesktop(wid, iid);
    if (!(await roleOf(ctx.db, wid, uid))) throw new ProtocolError('not_found', `user ${uid} is not a member of this workspace`);
    await addViewer(ctx.db, iid, uid);
    ctx.logger.info({ event: 'instance.viewer_added', instanceId: iid, userId: uid }, 'viewer added');
  });

  on(routes.removeViewer, async ({ params: { wid, iid, uid } }) => {
    await requireDesktop(wid, iid);
    await removeViewer(ctx.db, iid, uid);
    ctx.rtc.endViewer(iid, uid, 'viewer access removed');
    ctx.logger.info({ event: 'instance.viewer_removed', instanceId: iid, userId: uid }, 'viewer removed');
  });
}
