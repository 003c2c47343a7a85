/**
 * The tasks profile's verdict, from what the cloud stored: for every task a load gateway sent,
 * its stored statuses must be exactly seq 1..(the highest seq sent), each once, in order. Pure:
 * the gateways' ledgers and the database's rows in, the counts out (the database is read by
 * coordinator/task-statuses.ts), so the arithmetic is unit-tested on its own.
 */

/** What one load gateway says of one of its tasks at the end of a run. */
export interface TaskLedger {
  instanceId: string;
  taskId: string;
  /** the highest seq made (appended to the gateway's outbox) */
  made: number;
  /** the highest seq transmitted at least once (the outbox sends in order, so 1..sent all went) */
  sent: number;
  /** the highest seq the cloud acknowledged */
  acked: number;
}

/** One row of task_statuses, as the coordinator read it. */
export interface StoredStatus {
  instanceId: string;
  taskId: string;
  seq: number;
  detail: string;
  /** the gateway's time of the status (ISO) */
  at: string;
  /** the cloud's time of storing it (ISO) */
  receivedAt: string;
}

export interface TaskCheck {
  tasks: number;
  /** rows stored for the checked tasks */
  stored: number;
  /** seqs in 1..sent with no row: sent (and perhaps acknowledged) but not stored */
  lost: number;
  /** rows beyond the first holding one status (same seq twice, or one status's content under two seqs) */
  duplicated: number;
  /** rows (in seq order) whose gateway time or storing time runs backwards, or that hold another seq's status */
  outOfOrder: number;
  /** the first few problems, for the run's log */
  examples: string[];
}

/** Each status's detail names its seq: a row holding another seq's status is told apart by it. */
export function statusDetail(seq: number): string {
  return `load update ${seq}`;
}

const EXAMPLES = 5;

export function checkTaskStatuses(ledgers: readonly TaskLedger[], rows: readonly StoredStatus[]): TaskCheck {
  const byTask = new Map<string, StoredStatus[]>();
  for (const r of rows) {
    const key = `${r.instanceId}/${r.taskId}`;
    const list = byTask.get(key) ?? [];
    list.push(r);
    byTask.set(key, list);
  }
  const check: TaskCheck = { tasks: ledgers.length, stored: 0, lost: 0, duplicated: 0, outOfOrder: 0, examples: [] };
  const note = (text: string) => {
    if (check.examples.length < EXAMPLES) check.examples.push(text);
  };
  for (const ledger of ledgers) {
    const task = `task ${ledger.taskId} of ${ledger.instanceId}`;
    // seq order; among equal seqs, the order they were stored in
    const stored = [...(byTask.get(`${ledger.instanceId}/${ledger.taskId}`) ?? [])].sort(
      (a, b) => a.seq - b.seq || Date.parse(a.receivedAt) - Date.parse(b.receivedAt),
    );
    check.stored += stored.length;
    const seqs = new Set(stored.map((r) => r.seq));
    for (let seq = 1; seq <= ledger.sent; seq++) {
      if (seqs.has(seq)) continue;
      check.lost += 1;
      note(`${task}: seq ${seq} was sent${seq <= ledger.acked ? ' and acknowledged' : ''} but is not stored`);
    }
    const details = new Set<string>();
    for (const [i, row] of stored.entries()) {
      if (details.has(row.detail)) {
        check.duplicated += 1;
        note(`${task}: "${row.detail}" is stored more than once (again at seq ${row.seq})`);
      }
      details.add(row.detail);
      const previous = stored[i - 1];
      const backwards =
        previous !== undefined &&
        (Date.parse(row.at) < Date.parse(previous.at) || Date.parse(row.receivedAt) < Date.parse(previous.receivedAt));
      if (backwards || row.detail !== statusDetail(row.seq)) {
        check.outOfOrder += 1;
        note(`${task}: seq ${row.seq} holds "${row.detail}"${backwards ? ', stored or made before the seq before it' : ''}`);
      }
    }
  }
  return check;
}
