import { ProtocolError, type UserView } from '@multiclaw-lab/protocol';
import { type Ctx, nowDate } from '../context.ts';
import { credentialHash, newCredential, newId } from '../crypto/tokens.ts';
import { insertBearer } from '../db/bearers.ts';
import { clearFailedSignIns, recordFailedSignIn, type UserRow, userByEmail, userById, userView } from '../db/users.ts';
import { mutant } from '../mutant.ts';

function lockedError(ctx: Ctx, lockedUntil: Date): ProtocolError {
  const retryAfterSeconds = Math.max(1, Math.ceil((lockedUntil.getTime() - ctx.clock.now()) / 1000));
  return new ProtocolError('account_locked', `too many failed sign-ins: try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
  });
}

/**
 * Checks a password for a user, enforcing the lockout: a locked account refuses even the right
 * password; a wrong one counts towards the lock. Used by sign-in and by password change.
 */
export async function checkPassword(ctx: Ctx, user: UserRow, password: string): Promise<void> {
  const now = nowDate(ctx);
  if (user.locked_until && user.locked_until.getTime() > now.getTime()) {
    ctx.logger.info({ event: 'auth.sign_in_refused_locked', userId: user.id }, 'sign-in refused: account locked');
    throw lockedError(ctx, user.locked_until);
  }
  if (await ctx.passwords.verify(password, user.password_hash)) {
    await clearFailedSignIns(ctx.db, user.id);
    return;
  }
  const lockedUntil = mutant('lockout-off') ? null : await recordFailedSignIn(ctx.db, user.id, now, ctx.settings.lockout);
  ctx.logger.info({ event: 'auth.sign_in_failed', userId: user.id, locked: lockedUntil !== null }, 'wrong password');
  if (lockedUntil) {
    ctx.logger.warn({ event: 'auth.account_locked', userId: user.id, until: lockedUntil.toISOString() }, 'account locked');
    throw lockedError(ctx, lockedUntil);
  }
  throw new ProtocolError('invalid_credentials', 'wrong email or password');
}

export async function signIn(ctx: Ctx, email: string, password: string): Promise<{ bearer: string; user: UserView }> {
  const user = await userByEmail(ctx.db, email);
  if (!user) {
    await ctx.passwords.burn(password);
    ctx.logger.info({ event: 'auth.sign_in_failed', userId: null }, 'unknown email');
    throw new ProtocolError('invalid_credentials', 'wrong email or password');
  }
  await checkPassword(ctx, user, password);
  const bearer = newCredential('bearer');
  const bearerId = newId('brr');
  await insertBearer(ctx.db, { id: bearerId, userId: user.id, hash: credentialHash(bearer), now: nowDate(ctx) });
  ctx.logger.info({ event: 'auth.signed_in', userId: user.id, bearerId }, 'signed in');
  return { bearer, user: userView(user) };
}

export async function requireUser(ctx: Ctx, userId: string): Promise<UserRow> {
  const user = await userById(ctx.db, userId);
  if (!user) throw new ProtocolError('unauthenticated', 'account no longer exists');
  return user;
}
