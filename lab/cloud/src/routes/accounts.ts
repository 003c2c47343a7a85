import { ChangePasswordRequest, ProtocolError, parseOrThrow, SignInRequest, SignUpRequest } from '@multiclaw-lab/protocol';
import { authenticate } from '../auth/authenticate.ts';
import { revokeAllBearers, signOut } from '../auth/revocation.ts';
import { checkPassword, requireUser, signIn } from '../auth/sign-in.ts';
import { type Ctx, nowDate } from '../context.ts';
import { newId } from '../crypto/tokens.ts';
import { insertUser, setPasswordHash, userView } from '../db/users.ts';
import { workspacesOf } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';

export function accountRoutes(app: App, ctx: Ctx): void {
  app.post('/v1/auth/sign-up', async (request, reply) => {
    const body = parseOrThrow(SignUpRequest, request.body);
    const id = newId('usr');
    const passwordHash = await ctx.passwords.hash(body.password);
    const created = await insertUser(ctx.db, { id, email: body.email, name: body.name, passwordHash, now: nowDate(ctx) });
    if (!created) throw new ProtocolError('conflict', 'an account with this email exists: sign in instead');
    ctx.logger.info({ event: 'auth.signed_up', userId: id }, 'account created');
    return reply.code(201).send({ user: { id, email: body.email, name: body.name } });
  });

  app.post('/v1/auth/sign-in', async (request) => {
    const body = parseOrThrow(SignInRequest, request.body);
    return signIn(ctx, body.email, body.password);
  });

  app.post('/v1/auth/sign-out', async (request, reply) => {
    const me = await authenticate(ctx, request.headers.authorization, ['bearer']);
    await signOut(ctx, me.credentialId, me.userId);
    return reply.code(204).send();
  });

  app.post('/v1/auth/password', async (request, reply) => {
    const me = await authenticate(ctx, request.headers.authorization, ['bearer']);
    const body = parseOrThrow(ChangePasswordRequest, request.body);
    const user = await requireUser(ctx, me.userId);
    await checkPassword(ctx, user, body.currentPassword);
    await setPasswordHash(ctx.db, me.userId, await ctx.passwords.hash(body.newPassword));
    await revokeAllBearers(ctx, me.userId, 'password-change');
    return reply.code(204).send();
  });

  app.get('/v1/me', async (request) => {
    const me = await authenticate(ctx, request.headers.authorization, ['bearer']);
    const user = await requireUser(ctx, me.userId);
    return { user: userView(user), workspaces: await workspacesOf(ctx.db, me.userId) };
  });
}
