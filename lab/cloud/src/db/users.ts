import type { UserView } from '@multiclaw-lab/protocol';
import type { Queryable } from './tx.ts';

export interface UserRow {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  locked_until: Date | null;
}

export const userView = (row: Pick<UserRow, 'id' | 'email' | 'name'>): UserView => ({
  id: row.id,
  email: row.email,
  name: row.name,
});

export async function insertUser(
  db: Queryable,
  user: { id: string; email: string; name: string; passwordHash: string; now: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (email) DO NOTHING`,
    [user.id, user.email, user.name, user.passwordHash, user.now],
  );
  return rowCount === 1;
}

export async function userByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT id, email, name, password_hash, locked_until FROM users WHERE email = $1', [
    email,
  ]);
  return rows[0];
}

export async function userById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT id, email, name, password_hash, locked_until FROM users WHERE id = $1', [id]);
  return rows[0];
}

/**
 * Counts one failed sign-in in a fixed window that opens at the first failure; reaching
 * `maxFailures` inside it locks the account until now + lockSeconds and resets the count.
 * One UPDATE, so concurrent failures cannot lose a count. Returns the lock's end if now locked.
 */
export async function recordFailedSignIn(
  db: Queryable,
  userId: string,
  now: Date,
  policy: { maxFailures: number; windowSeconds: number; lockSeconds: number },
): Promise<Date | null> {
  const { rows } = await db.query<{ locked_until: Date | null }>(
    `WITH counted AS (
       SELECT id,
              CASE WHEN first_failed_at IS NULL OR first_failed_at <= $2::timestamptz - make_interval(secs => $3)
                   THEN 1 ELSE failed_sign_ins + 1 END AS n,
              CASE WHEN first_failed_at IS NULL OR first_failed_at <= $2::timestamptz - make_interval(secs => $3)
                   THEN $2::timestamptz ELSE first_failed_at END AS first
         FROM users WHERE id = $1 FOR UPDATE)
     UPDATE users u SET
       failed_sign_ins = CASE WHEN c.n >= $4 THEN 0 ELSE c.n END,
       first_failed_at = CASE WHEN c.n >= $4 THEN NULL ELSE c.first END,
       locked_until    = CASE WHEN c.n >= $4 THEN $2::timestamptz + make_interval(secs => $5) ELSE u.locked_until END
     FROM counted c WHERE u.id = c.id
     RETURNING u.locked_until`,
    [userId, now, policy.windowSeconds, policy.maxFailures, policy.lockSeconds],
  );
  const lockedUntil = rows[0]?.locked_until ?? null;
  return lockedUntil && lockedUntil.getTime() > now.getTime() ? lockedUntil : null;
}

export async function clearFailedSignIns(db: Queryable, userId: string): Promise<void> {
  await db.query('UPDATE users SET failed_sign_ins = 0, first_failed_at = NULL, locked_until = NULL WHERE id = $1', [userId]);
}

export async function setPasswordHash(db: Queryable, userId: string, hash: string): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, hash]);
}
