import { describe, expect, it } from 'vitest';
import { checkTaskStatuses, type StoredStatus, statusDetail, type TaskLedger } from './task-check.ts';

const ledger = (sent: number, acked = sent): TaskLedger => ({ instanceId: 'ins_1', taskId: 't1', made: sent, sent, acked });

/** The rows a correct cloud stores for seqs 1..n, a second apart. */
function rows(n: number): StoredStatus[] {
  return Array.from({ length: n }, (_, i) => row(i + 1));
}

function row(seq: number, over: Partial<StoredStatus> = {}): StoredStatus {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
  return { instanceId: 'ins_1', taskId: 't1', seq, detail: statusDetail(seq), at, receivedAt: at, ...over };
}

describe('the tasks profile’s check of the stored statuses', () => {
  it('passes exactly 1..sent, each once, in order', () => {
    expect(checkTaskStatuses([ledger(5)], rows(5))).toEqual({
      tasks: 1,
      stored: 5,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      examples: [],
    });
  });

  it('counts a gap as lost, saying whether the cloud had acknowledged it', () => {
    const check = checkTaskStatuses(
      [ledger(5, 4)],
      rows(5).filter((r) => r.seq !== 3 && r.seq !== 5),
    );
    expect(check.lost).toBe(2);
    expect(check.examples).toEqual([
      'task t1 of ins_1: seq 3 was sent and acknowledged but is not stored',
      'task t1 of ins_1: seq 5 was sent but is not stored',
    ]);
  });

  it('counts a status stored twice, under its own seq or another one', () => {
    const twiceSameSeq = checkTaskStatuses([ledger(3)], [...rows(3), row(2)]);
    expect(twiceSameSeq).toMatchObject({ duplicated: 1, lost: 0, outOfOrder: 0 });
    // a resend stored as a new status: seq 4 holds seq 3's content
    const renumbered = checkTaskStatuses([ledger(4)], [...rows(3), row(4, { detail: statusDetail(3) })]);
    expect(renumbered).toMatchObject({ duplicated: 1, lost: 0, outOfOrder: 1 });
  });

  it('counts statuses whose seq order is not the order they were made or stored in', () => {
    const swapped = rows(4).map((r) =>
      r.seq === 2 ? { ...r, at: rows(4)[2]!.at } : r.seq === 3 ? { ...r, at: rows(4)[1]!.at } : r,
    );
    expect(checkTaskStatuses([ledger(4)], swapped).outOfOrder).toBe(1);
    const storedLate = rows(3).map((r) => (r.seq === 2 ? { ...r, receivedAt: '2026-01-01T00:00:09.000Z' } : r));
    expect(checkTaskStatuses([ledger(3)], storedLate).outOfOrder).toBe(1);
  });

  it('judges every task apart: another task’s rows neither fill a gap nor count twice', () => {
    const other = { ...ledger(2), taskId: 't2' };
    const check = checkTaskStatuses([ledger(2), other], [...rows(2), row(1, { taskId: 't2' })]);
    expect(check).toMatchObject({ tasks: 2, stored: 3, lost: 1, duplicated: 0 });
  });
});
