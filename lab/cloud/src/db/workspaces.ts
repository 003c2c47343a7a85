import type { Role } from '@multiclaw-lab/protocol';
import type { Queryable } from './tx.ts';

export async function insertWorkspace(db: Queryable, w: { id: string; name: string; ownerId: string; now: Date }): Promise<void> {
  await db.query('INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)', [w.id, w.name, w.now]);
  await db.query("INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)", [
    w.id,
    w.ownerId,
    w.now,
  ]);
}

export async function roleOf(db: Queryable, workspaceId: string, userId: string): Promise<Role | undefined> {
  const { rows } = await db.query<{ role: Role }>('SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2', [
    workspaceId,
    userId,
  ]);
  return rows[0]?.role;
}

export async function workspacesOf(db: Queryable, userId: string): Promise<{ id: string; name: string; role: Role }[]> {
  const { rows } = await db.query<{ id: string; name: string; role: Role }>(
    `SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
      WHERE m.user_id = $1 ORDER BY w.created_at, w.id`,
    [userId],
  );
  return rows;
}

export async function workspaceName(db: Queryable, workspaceId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM workspaces WHERE id = $1', [workspaceId]);
  return rows[0]?.name;
}

export async function membersOf(
  db: Queryable,
  workspaceId: string,
): Promise<{ userId: string; email: string; name: string; role: Role }[]> {
  const { rows } = await db.query<{ userId: string; email: string; name: string; role: Role }>(
    `SELECT u.id AS "userId", u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.workspace_id = $1 ORDER BY m.created_at, u.id`,
    [workspaceId],
  );
  return rows;
}

export async function memberIds(db: Queryable, workspaceId: string): Promise<Set<string>> {
  const { rows } = await db.query<{ user_id: string }>('SELECT user_id FROM memberships WHERE workspace_id = $1', [workspaceId]);
  return new Set(rows.map((r) => r.user_id));
}

/** Adds a member; false if already one (a member has exactly one role). */
export async function insertMembership(
  db: Queryable,
  m: { workspaceId: string; userId: string; role: Role; now: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [m.workspaceId, m.userId, m.role, m.now],
  );
  return rowCount === 1;
}

export async function deleteMembership(db: Queryable, workspaceId: string, userId: string): Promise<void> {
  await db.query('DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2', [workspaceId, userId]);
}

/** Locks the workspace's owner rows and counts them, so two owners removing each other cannot both succeed. */
export async function lockOwners(db: Queryable, workspaceId: string): Promise<string[]> {
  const { rows } = await db.query<{ user_id: string }>(
    "SELECT user_id FROM memberships WHERE workspace_id = $1 AND role = 'owner' FOR UPDATE",
    [workspaceId],
  );
  return rows.map((r) => r.user_id);
}
