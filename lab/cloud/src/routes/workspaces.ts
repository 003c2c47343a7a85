import { AddMemberRequest, CreateWorkspaceRequest, ProtocolError, parseOrThrow } from '@multiclaw-lab/protocol';
import { authenticate, requireMember, requireOwner } from '../auth/authenticate.ts';
import { removeMember, revokeAllBearers } from '../auth/revocation.ts';
import { type Ctx, nowDate } from '../context.ts';
import { newId } from '../crypto/tokens.ts';
import { userByEmail } from '../db/users.ts';
import { insertMembership, insertWorkspace, membersOf, roleOf, workspaceName } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';
import { param } from '../http/params.ts';

export function workspaceRoutes(app: App, ctx: Ctx): void {
  const bearer = (header: string | undefined) => authenticate(ctx, header, ['bearer']);

  app.post('/v1/workspaces', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const body = parseOrThrow(CreateWorkspaceRequest, request.body);
    const id = newId('wsp');
    await insertWorkspace(ctx.db, { id, name: body.name, ownerId: me.userId, now: nowDate(ctx) });
    ctx.logger.info({ event: 'workspace.created', workspaceId: id, ownerId: me.userId }, 'workspace created');
    return reply.code(201).send({ id, name: body.name, role: 'owner' });
  });

  app.get('/v1/workspaces/:wid', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const role = await requireMember(ctx, me.userId, wid);
    return { id: wid, name: (await workspaceName(ctx.db, wid)) ?? '', role };
  });

  app.get('/v1/workspaces/:wid/members', async (request) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    await requireMember(ctx, me.userId, wid);
    return { members: await membersOf(ctx.db, wid) };
  });

  app.post('/v1/workspaces/:wid/members', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    await requireOwner(ctx, me.userId, wid, 'add members');
    const body = parseOrThrow(AddMemberRequest, request.body);
    const user = await userByEmail(ctx.db, body.email);
    if (!user) throw new ProtocolError('not_found', 'no account with this email: ask them to sign up first');
    const added = await insertMembership(ctx.db, { workspaceId: wid, userId: user.id, role: body.role, now: nowDate(ctx) });
    if (!added) throw new ProtocolError('conflict', 'already a member of this workspace (a member has exactly one role)');
    ctx.logger.info({ event: 'workspace.member_added', workspaceId: wid, userId: user.id, role: body.role }, 'member added');
    return reply.code(201).send({ userId: user.id, email: user.email, name: user.name, role: body.role });
  });

  app.delete('/v1/workspaces/:wid/members/:uid', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const uid = param(request, 'uid');
    await requireOwner(ctx, me.userId, wid, 'remove members');
    await removeMember(ctx, wid, uid, me.userId);
    return reply.code(204).send();
  });

  app.post('/v1/workspaces/:wid/members/:uid/sign-out', async (request, reply) => {
    const me = await bearer(request.headers.authorization);
    const wid = param(request, 'wid');
    const uid = param(request, 'uid');
    await requireOwner(ctx, me.userId, wid, 'sign members out');
    if (!(await roleOf(ctx.db, wid, uid))) throw new ProtocolError('not_found', `user ${uid} is not a member of this workspace`);
    await revokeAllBearers(ctx, uid, 'forced-sign-out');
    return reply.code(204).send();
  });
}
