import type { TaskState, TranscriptMessage } from '@multiclaw-lab/protocol';
import type { Queryable } from './tx.ts';

export interface StatusIn {
  instanceId: string;
  workspaceId: string;
  taskId: string;
  seq: number;
  state: TaskState;
  detail: string;
  at: string;
  receivedAt: Date;
}

export type StatusOutcome = { kind: 'stored' } | { kind: 'duplicate' } | { kind: 'gap'; expectedSeq: number };

/**
 * Stores one task status exactly once and in order. A transaction-scoped advisory lock per
 * (instance, task) serialises concurrent deliveries; the primary key is the backstop.
 * Must run inside a transaction.
 */
export async function storeTaskStatus(db: Queryable, s: StatusIn): Promise<StatusOutcome> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${s.instanceId}/${s.taskId}`]);
  const { rows } = await db.query<{ last: number | null }>(
    'SELECT max(seq) AS last FROM task_statuses WHERE instance_id = $1 AND task_id = $2',
    [s.instanceId, s.taskId],
  );
  const last = rows[0]?.last ?? 0;
  if (s.seq <= last) return { kind: 'duplicate' };
  if (s.seq > last + 1) return { kind: 'gap', expectedSeq: last + 1 };
  await db.query(
    `INSERT INTO task_statuses (instance_id, task_id, seq, workspace_id, state, detail, at, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [s.instanceId, s.taskId, s.seq, s.workspaceId, s.state, s.detail, s.at, s.receivedAt],
  );
  return { kind: 'stored' };
}

export async function taskStatuses(db: Queryable, workspaceId: string, taskId: string) {
  const { rows } = await db.query<{
    task_id: string;
    seq: number;
    state: TaskState;
    detail: string;
    at: Date;
    instance_id: string;
    received_at: Date;
  }>(
    `SELECT task_id, seq, state, detail, at, instance_id, received_at FROM task_statuses
      WHERE workspace_id = $1 AND task_id = $2 ORDER BY seq, instance_id`,
    [workspaceId, taskId],
  );
  return rows.map((r) => ({
    taskId: r.task_id,
    seq: r.seq,
    state: r.state,
    detail: r.detail,
    at: r.at.toISOString(),
    instanceId: r.instance_id,
    receivedAt: r.received_at.toISOString(),
  }));
}

/** Keeps the highest revision of a conversation; an equal or lower one changes nothing. */
export async function storeTranscript(
  db: Queryable,
  t: {
    workspaceId: string;
    conversationId: string;
    instanceId: string;
    revision: number;
    messages: TranscriptMessage[];
    now: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO transcripts (workspace_id, conversation_id, instance_id, revision, messages, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (workspace_id, conversation_id) DO UPDATE
        SET instance_id = EXCLUDED.instance_id, revision = EXCLUDED.revision, messages = EXCLUDED.messages, updated_at = EXCLUDED.updated_at
      WHERE transcripts.revision < EXCLUDED.revision`,
    [t.workspaceId, t.conversationId, t.instanceId, t.revision, JSON.stringify(t.messages), t.now],
  );
}

export async function transcript(db: Queryable, workspaceId: string, conversationId: string) {
  const { rows } = await db.query<{ instance_id: string; revision: number; messages: TranscriptMessage[] }>(
    'SELECT instance_id, revision, messages FROM transcripts WHERE workspace_id = $1 AND conversation_id = $2',
    [workspaceId, conversationId],
  );
  const row = rows[0];
  return row && { conversationId, instanceId: row.instance_id, revision: row.revision, messages: row.messages };
}
