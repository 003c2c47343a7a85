import { ProtocolError, routes } from '@multiclaw-lab/protocol';
import { revokeAllBearers, signOut } from '../auth/revocation.ts';
import { checkPassword, requireUser, signIn } from '../auth/sign-in.ts';
import { type Ctx, nowDate } from '../context.ts';
import { newId } from '../crypto/tokens.ts';
import { insertUser, setPasswordHash, userView } from '../db/users.ts';
import { workspacesOf } from '../db/workspaces.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';
import { mutant } from '../mutant.ts';

export function accountRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);

  on(routes.signUp, async ({ body }) => {
    const id = newId('usr');
    const passwordHash = await ctx.passwords.hash(body.password);
    const created = await insertUser(ctx.db, { id, email: body.email, name: body.name, passwordHash, now: nowDate(ctx) });
    if (!created) throw new ProtocolError('conflict', 'an account with this email exists: sign in instead');
    ctx.logger.info({ event: 'auth.signed_up', userId: id }, 'account created');
    return { user: { id, email: body.email, name: body.name } };
  });

  on(routes.signIn, async ({ body }) => signIn(ctx, body.email, body.password));

  on(routes.signOut, async ({ principal }) => {
    await signOut(ctx, principal.credentialId, principal.userId);
  });

  on(routes.changePassword, async ({ principal, body }) => {
    const user = await requireUser(ctx, principal.userId);
    await checkPassword(ctx, user, body.currentPassword);
    await setPasswordHash(ctx.db, principal.userId, await ctx.passwords.hash(body.newPassword));
    if (mutant('password-change-keeps-sessions')) await signOut(ctx, principal.credentialId, principal.userId);
    else await revokeAllBearers(ctx, principal.userId, 'password-change');
  });

  on(routes.getMe, async ({ principal }) => {
    const user = await requireUser(ctx, principal.userId);
    return { user: userView(user), workspaces: await workspacesOf(ctx.db, principal.userId) };
  });
}
