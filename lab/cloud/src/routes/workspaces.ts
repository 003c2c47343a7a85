import { ProtocolError, routes } from '@multiclaw-lab/protocol';
import { removeMember, revokeAllBearers } from '../auth/revocation.ts';
import { type Ctx, nowDate } from '../context.ts';
import { newId } from '../crypto/tokens.ts';
import { insertInvitation, invitationById, markAccepted, pendingInvitationsOf } from '../db/invitations.ts';
import { inTransaction } from '../db/tx.ts';
import { userByEmail } from '../db/users.ts';
import { insertMembership, insertWorkspace, membersOf, roleOf, workspaceName } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';
import { mutant } from '../mutant.ts';

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

  on(routes.inviteMember, async ({ principal, params: { wid }, body }) => {
    const user = await userByEmail(ctx.db, body.email);
    if (!user) throw new ProtocolError('not_found', 'no account with this email: ask them to sign up first');
    if (await roleOf(ctx.db, wid, user.id))
      throw new ProtocolError('conflict', 'already a member of this workspace (a member has exactly one role)');
    const id = newId('inv');
    const now = nowDate(ctx);
    const invited = await insertInvitation(ctx.db, {
      id,
      workspaceId: wid,
      userId: user.id,
      role: body.role,
      invitedBy: principal.userId,
      now,
    });
    if (!invited) throw new ProtocolError('conflict', 'an invitation to this workspace is already waiting for this account');
    ctx.logger.info({ event: 'workspace.member_invited', workspaceId: wid, userId: user.id, role: body.role }, 'member invited');
    if (mutant('membership-without-consent'))
      await insertMembership(ctx.db, { workspaceId: wid, userId: user.id, role: body.role, now });
    const name = (await workspaceName(ctx.db, wid)) ?? '';
    return { id, workspaceId: wid, workspaceName: name, email: user.email, role: body.role, status: 'pending' as const };
  });

  on(routes.listInvitations, async ({ principal }) => ({ invitations: await pendingInvitationsOf(ctx.db, principal.userId) }));

  on(routes.acceptInvitation, async ({ principal, params: { vid } }) =>
    inTransaction(ctx.db, async (tx) => {
      const invitation = await invitationById(tx, vid);
      // someone else's invitation does not exist, as far as the caller can tell
      if (!invitation || invitation.userId !== principal.userId)
        throw new ProtocolError('not_found', 'no such invitation for you');
      if (invitation.status !== 'pending') throw new ProtocolError('conflict', 'this invitation was already accepted');
      const now = nowDate(ctx);
      const added = await insertMembership(tx, {
        workspaceId: invitation.workspaceId,
        userId: principal.userId,
        role: invitation.role,
        now,
      });
      if (!added && !mutant('membership-without-consent'))
        throw new ProtocolError('conflict', 'already a member of this workspace');
      await markAccepted(tx, vid, now);
      ctx.logger.info(
        { event: 'workspace.member_added', workspaceId: invitation.workspaceId, userId: principal.userId, role: invitation.role },
        'invitation accepted',
      );
      return { id: invitation.workspaceId, name: invitation.workspaceName, role: invitation.role };
    }),
  );

  on(routes.removeMember, async ({ principal, params: { wid, uid } }) => {
    await removeMember(ctx, wid, uid, principal.userId);
  });

  on(routes.signOutMember, async ({ params: { wid, uid } }) => {
    if (!(await roleOf(ctx.db, wid, uid))) throw new ProtocolError('not_found', `user ${uid} is not a member of this workspace`);
    if (!mutant('forced-sign-out-ignored')) await revokeAllBearers(ctx, uid, 'forced-sign-out');
  });
}
