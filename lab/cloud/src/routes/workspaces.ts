import { ProtocolError, routes } from '@multiclaw-lab/protocol';
import { removeMember, revokeAllBearers } from '../auth/revocation.ts';
import { type Ctx, nowDate } from '../context.ts';
import { newId } from '../crypto/tokens.ts';
import { userByEmail } from '../db/users.ts';
import { insertMembership, insertWorkspace, membersOf, roleOf, workspaceName } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';

export function workspaceRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);

  on(routes.createWorkspace, async ({ principal, body }) => {
    const id = newId('wsp');
    await insertWorkspace(ctx.db, { id, name: body.name, ownerId: principal.userId, now: nowDate(ctx) });
    ctx.logger.info({ event: 'workspace.created', workspaceId: id, ownerId: principal.userId }, 'workspace created');
    return { id, name: body.name, role: 'owner' as const };
  });

  on(routes.getWorkspace, async ({ params: { wid }, role }) => ({
    id: wid,
    name: (await workspaceName(ctx.db, wid)) ?? '',
    role,
  }));

  on(routes.listMembers, async ({ params: { wid } }) => ({ members: await membersOf(ctx.db, wid) }));

  on(routes.addMember, async ({ params: { wid }, body }) => {
    const user = await userByEmail(ctx.db, body.email);
    if (!user) throw new ProtocolError('not_found', 'no account with this email: ask them to sign up first');
    const added = await insertMembership(ctx.db, { workspaceId: wid, userId: user.id, role: body.role, now: nowDate(ctx) });
    if (!added) throw new ProtocolError('conflict', 'already a member of this workspace (a member has exactly one role)');
    ctx.logger.info({ event: 'workspace.member_added', workspaceId: wid, userId: user.id, role: body.role }, 'member added');
    return { userId: user.id, email: user.email, name: user.name, role: body.role };
  });

  on(routes.removeMember, async ({ principal, params: { wid, uid } }) => {
    await removeMember(ctx, wid, uid, principal.userId);
  });

  on(routes.signOutMember, async ({ params: { wid, uid } }) => {
    if (!(await roleOf(ctx.db, wid, uid))) throw new ProtocolError('not_found', `user ${uid} is not a member of this workspace`);
    await revokeAllBearers(ctx, uid, 'forced-sign-out');
  });
}
