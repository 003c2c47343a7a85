import type { InvitationView, Role } from '@multiclaw-lab/protocol';
import type { Queryable } from './tx.ts';

/** Records an invitation; false when one for this person and workspace is already waiting. */
export async function insertInvitation(
  db: Queryable,
  v: { id: string; workspaceId: string; userId: string; role: Role; invitedBy: string; now: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO invitations (id, workspace_id, user_id, role, invited_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [v.id, v.workspaceId, v.userId, v.role, v.invitedBy, v.now],
  );
  return rowCount === 1;
}

const VIEW = `SELECT i.id, i.workspace_id AS "workspaceId", w.name AS "workspaceName", u.email, i.role, i.user_id AS "userId",
                     CASE WHEN i.accepted_at IS NULL THEN 'pending' ELSE 'accepted' END AS status
                FROM invitations i JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.user_id`;

/** The invitations addressed to `userId` still waiting for an answer. */
export async function pendingInvitationsOf(db: Queryable, userId: string): Promise<InvitationView[]> {
  const { rows } = await db.query<InvitationView & { userId?: string }>(
    `${VIEW} WHERE i.user_id = $1 AND i.accepted_at IS NULL ORDER BY i.created_at, i.id`,
    [userId],
  );
  return rows.map(({ userId: _, ...view }) => view);
}

export async function invitationById(db: Queryable, id: string): Promise<(InvitationView & { userId: string }) | undefined> {
  // locked: two acceptances of one invitation at once make one membership
  const { rows } = await db.query<InvitationView & { userId: string }>(`${VIEW} WHERE i.id = $1 FOR UPDATE OF i`, [id]);
  return rows[0];
}

export async function markAccepted(db: Queryable, id: string, now: Date): Promise<void> {
  await db.query('UPDATE invitations SET accepted_at = $2 WHERE id = $1', [id, now]);
}
