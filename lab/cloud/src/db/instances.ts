import type { Queryable } from './tx.ts';

export type InstanceKind = 'gateway' | 'cloud-desktop';

export interface InstanceRow {
  id: string;
  workspace_id: string;
  kind: InstanceKind;
  name: string;
  user_id: string | null;
  sync_key_sealed: string;
  config_version: number;
  config_acked: number;
}

const COLUMNS = 'id, workspace_id, kind, name, user_id, sync_key_sealed, config_version, config_acked';

export async function insertInstance(
  db: Queryable,
  i: {
    id: string;
    workspaceId: string;
    kind: InstanceKind;
    name: string;
    userId: string | null;
    tokenHash: Buffer;
    syncKeySealed: string;
    now: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO instances (id, workspace_id, kind, name, user_id, token_hash, sync_key_sealed, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [i.id, i.workspaceId, i.kind, i.name, i.userId, i.tokenHash, i.syncKeySealed, i.now],
  );
}

/** A live instance credential by its hash. A gateway token also needs its user still to be a member. */
export async function activeInstanceByHash(db: Queryable, hash: Buffer): Promise<InstanceRow | undefined> {
  const { rows } = await db.query<InstanceRow>(
    `SELECT ${COLUMNS} FROM instances i WHERE token_hash = $1 AND revoked_at IS NULL
       AND (kind = 'cloud-desktop' OR EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = i.workspace_id AND m.user_id = i.user_id))`,
    [hash],
  );
  return rows[0];
}

export async function activeInstanceById(db: Queryable, id: string): Promise<InstanceRow | undefined> {
  const { rows } = await db.query<InstanceRow>(
    `SELECT ${COLUMNS} FROM instances i WHERE id = $1 AND revoked_at IS NULL
       AND (kind = 'cloud-desktop' OR EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = i.workspace_id AND m.user_id = i.user_id))`,
    [id],
  );
  return rows[0];
}

export async function instancesOf(db: Queryable, workspaceId: string): Promise<InstanceRow[]> {
  const { rows } = await db.query<InstanceRow>(
    `SELECT ${COLUMNS} FROM instances WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY created_at, id`,
    [workspaceId],
  );
  return rows;
}

/** Revokes the gateway tokens a user holds in one workspace; returns the instance ids. */
export async function revokeUserGateways(
  db: Queryable,
  workspaceId: string,
  userId: string,
  why: string,
  now: Date,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE instances SET revoked_at = $3, revoked_why = $4
      WHERE workspace_id = $1 AND user_id = $2 AND kind = 'gateway' AND revoked_at IS NULL RETURNING id`,
    [workspaceId, userId, now, why],
  );
  return rows.map((r) => r.id);
}

/** The next config version of an instance (each push gets a new, larger one). */
export async function nextConfigVersion(db: Queryable, instanceId: string): Promise<number> {
  const { rows } = await db.query<{ config_version: number }>(
    'UPDATE instances SET config_version = config_version + 1 WHERE id = $1 RETURNING config_version',
    [instanceId],
  );
  return rows[0]?.config_version ?? 0;
}

export async function recordConfigAck(db: Queryable, instanceId: string, version: number): Promise<void> {
  await db.query('UPDATE instances SET config_acked = GREATEST(config_acked, $2) WHERE id = $1 AND $2 <= config_version', [
    instanceId,
    version,
  ]);
}

export async function addViewer(db: Queryable, instanceId: string, userId: string): Promise<void> {
  await db.query('INSERT INTO instance_viewers (instance_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
    instanceId,
    userId,
  ]);
}

export async function removeViewer(db: Queryable, instanceId: string, userId: string): Promise<void> {
  await db.query('DELETE FROM instance_viewers WHERE instance_id = $1 AND user_id = $2', [instanceId, userId]);
}

export async function removeViewerEverywhere(db: Queryable, workspaceId: string, userId: string): Promise<void> {
  await db.query(
    'DELETE FROM instance_viewers v USING instances i WHERE v.instance_id = i.id AND i.workspace_id = $1 AND v.user_id = $2',
    [workspaceId, userId],
  );
}

export async function isViewer(db: Queryable, instanceId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM instance_viewers WHERE instance_id = $1 AND user_id = $2', [
    instanceId,
    userId,
  ]);
  return rowCount === 1;
}
