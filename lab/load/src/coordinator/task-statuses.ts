/**
 * The task statuses the cloud stored, read from its database (not from any log): on a lab of
 * this machine with psql inside the db host, over PostgreSQL's own socket there (the cluster
 * accepts nothing else but the cloud), as the canary's dump does; on an attached stack from the
 * rows its dump hands over.
 */
import { dirname, join } from 'node:path';
import type { Lab } from '@multiclaw-lab/core';
import { findPostgresBin, LabError } from '@multiclaw-lab/kit';
import type { StoredStatus } from '../task-check.ts';

interface Row {
  instance_id: string;
  task_id: string;
  seq: number;
  detail: string;
  at: string;
  received_at: string;
}

export class TaskStatusReadError extends LabError {
  constructor(message: string) {
    super('LAB_POSTGRES_FAILED', message, { hint: 'the lab must be running; its PostgreSQL runs in the db host' });
  }
}

/** instance ids are the cloud's (`ins_…`): checked before they go into the query's text */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export async function readTaskStatuses(lab: Lab, instanceIds: readonly string[]): Promise<StoredStatus[]> {
  const wanted = new Set(instanceIds);
  const rows = lab.remote ? await fromDump(lab) : await fromPsql(lab, instanceIds);
  return rows
    .filter((r) => wanted.has(r.instance_id))
    .map((r) => ({
      instanceId: r.instance_id,
      taskId: r.task_id,
      seq: Number(r.seq),
      detail: r.detail,
      at: new Date(r.at).toISOString(),
      receivedAt: new Date(r.received_at).toISOString(),
    }));
}

async function fromPsql(lab: Lab, instanceIds: readonly string[]): Promise<Row[]> {
  const bad = instanceIds.find((id) => !SAFE_ID.test(id));
  if (bad !== undefined) throw new TaskStatusReadError(`not an instance id: ${JSON.stringify(bad)}`);
  if (instanceIds.length === 0) return [];
  const list = instanceIds.map((id) => `'${id}'`).join(', ');
  const sql =
    'SELECT row_to_json(s) FROM (SELECT instance_id, task_id, seq, detail, at, received_at FROM task_statuses ' +
    `WHERE instance_id IN (${list})) s`;
  const psql = join(dirname(findPostgresBin('postgres')), 'psql');
  const result = await lab.driver.exec(
    'db',
    psql,
    ['-h', join(lab.stateDir, 'pg', 'sock'), '-U', 'lab', '-d', 'postgres', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { user: 'postgres', env: { PATH: process.env.PATH }, timeoutMs: 120_000 },
  );
  if (result.code !== 0)
    throw new TaskStatusReadError(`reading task_statuses in host db failed: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Row);
}

/** An attached stack's dump: one JSON line per row, `{ table, row }`. */
async function fromDump(lab: Lab): Promise<Row[]> {
  const dump = await lab.remote!.dumpDatabase();
  const rows: Row[] = [];
  for (const line of dump.split('\n')) {
    if (!line.includes('task_statuses')) continue;
    const parsed = JSON.parse(line) as { table: string; row: Row };
    if (parsed.table === 'public.task_statuses') rows.push(parsed.row);
  }
  return rows;
}
