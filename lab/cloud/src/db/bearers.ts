import type { Queryable } from './tx.ts';

export async function insertBearer(db: Queryable, b: { id: string; userId: string; hash: Buffer; now: Date }): Promise<void> {
  await db.query('INSERT INTO bearers (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)', [
    b.id,
    b.userId,
    b.hash,
    b.now,
  ]);
}

export async function activeBearerByHash(db: Queryable, hash: Buffer): Promise<{ id: string; user_id: string } | undefined> {
  const { rows } = await db.query<{ id: string; user_id: string }>(
    'SELECT id, user_id FROM bearers WHERE token_hash = $1 AND revoked_at IS NULL',
    [hash],
  );
  return rows[0];
}

export async function isBearerActive(db: Queryable, id: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM bearers WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [
    id,
    userId,
  ]);
  return rowCount === 1;
}

export async function revokeBearer(db: Queryable, id: string, why: string, now: Date): Promise<void> {
  await db.query('UPDATE bearers SET revoked_at = $2, revoked_why = $3 WHERE id = $1 AND revoked_at IS NULL', [id, now, why]);
}

/** Revokes every live bearer of a user (all devices); returns their ids. */
export async function revokeUserBearers(db: Queryable, userId: string, why: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'UPDATE bearers SET revoked_at = $2, revoked_why = $3 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
    [userId, now, why],
  );
  return rows.map((r) => r.id);
}
