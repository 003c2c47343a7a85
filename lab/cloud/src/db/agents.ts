import type { AgentView } from '@multiclaw-lab/protocol';
import type { Queryable } from './tx.ts';

export interface AgentRow {
  id: string;
  workspace_id: string;
  name: string;
  provider: string;
  model: string;
  base_url: string;
  key_sealed: string | null;
  key_fingerprint: string | null;
  key_updated_at: Date | null;
}

const COLUMNS = 'id, workspace_id, name, provider, model, base_url, key_sealed, key_fingerprint, key_updated_at';

/** What any member may see of an agent: never the key, only whether one is set and its fingerprint. */
export function agentView(row: AgentRow): AgentView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    provider: row.provider,
    model: row.model,
    baseUrl: row.base_url,
    key: {
      set: row.key_sealed !== null,
      fingerprint: row.key_fingerprint,
      updatedAt: row.key_updated_at ? row.key_updated_at.toISOString() : null,
    },
  };
}

export async function insertAgent(
  db: Queryable,
  a: { id: string; workspaceId: string; name: string; provider: string; model: string; baseUrl: string; now: Date },
): Promise<AgentRow> {
  const { rows } = await db.query<AgentRow>(
    `INSERT INTO agents (id, workspace_id, name, provider, model, base_url, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING ${COLUMNS}`,
    [a.id, a.workspaceId, a.name, a.provider, a.model, a.baseUrl, a.now],
  );
  return rows[0]!;
}

export async function agentsOf(db: Queryable, workspaceId: string): Promise<AgentRow[]> {
  const { rows } = await db.query<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE workspace_id = $1 ORDER BY created_at, id`, [
    workspaceId,
  ]);
  return rows;
}

/** Sets (sealed value and fingerprint) or clears (nulls) an agent's key; undefined if no such agent here. */
export async function setAgentKey(
  db: Queryable,
  workspaceId: string,
  agentId: string,
  key: { sealed: string; fingerprint: string } | null,
  now: Date,
): Promise<AgentRow | undefined> {
  const { rows } = await db.query<AgentRow>(
    `UPDATE agents SET key_sealed = $3, key_fingerprint = $4, key_updated_at = $5
      WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [workspaceId, agentId, key?.sealed ?? null, key?.fingerprint ?? null, key ? now : null],
  );
  return rows[0];
}

/** Changes an agent's provider, model and/or base URL (fields left undefined stay); undefined if no such agent here. */
export async function updateAgent(
  db: Queryable,
  workspaceId: string,
  agentId: string,
  change: { provider?: string | undefined; model?: string | undefined; baseUrl?: string | undefined },
): Promise<AgentRow | undefined> {
  const { rows } = await db.query<AgentRow>(
    `UPDATE agents SET provider = COALESCE($3, provider), model = COALESCE($4, model), base_url = COALESCE($5, base_url)
      WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
    [workspaceId, agentId, change.provider ?? null, change.model ?? null, change.baseUrl ?? null],
  );
  return rows[0];
}

export async function agentExists(db: Queryable, workspaceId: string, agentId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM agents WHERE workspace_id = $1 AND id = $2', [workspaceId, agentId]);
  return rowCount === 1;
}
