/**
 * A claim as each driver's newest run saw it, for the report's per-driver columns (HTML and
 * text alike): its status there and, when it is not verified, the scenarios behind that, so
 * "verified on netns, untested on docker" comes with the reason docker skipped the scenario.
 */
import type { ClaimStatus, RunResults } from '../model.ts';

export interface DriverCell {
  /** 'absent': that run's results hold no such claim (an older catalogue, say) */
  status: ClaimStatus | 'absent';
  /** scenarios behind the claim that this driver skipped, with why */
  skipped: Array<{ id: string; reason: string }>;
  /** scenarios behind the claim that failed on this driver */
  failed: string[];
}

export function driverCell(run: RunResults, claimId: string): DriverCell {
  const claim = run.claims.find((c) => c.id === claimId);
  if (!claim) return { status: 'absent', skipped: [], failed: [] };
  const behind = run.scenarios.filter((s) => claim.scenarios.includes(s.id));
  return {
    status: claim.status,
    skipped: behind.filter((s) => s.status === 'skipped').map((s) => ({ id: s.id, reason: s.skipReason ?? 'no reason given' })),
    failed: behind.filter((s) => s.status === 'failed').map((s) => s.id),
  };
}

/** True when the drivers' runs do not all give the claim the same status. */
export function statusDiffers(cells: readonly DriverCell[]): boolean {
  return new Set(cells.map((c) => c.status)).size > 1;
}

/** Every scenario a driver's run skipped, with why (e.g. what the driver cannot provide). */
export function skippedOn(run: RunResults): Array<{ id: string; title: string; reason: string }> {
  return run.scenarios
    .filter((s) => s.status === 'skipped')
    .map((s) => ({ id: s.id, title: s.title, reason: s.skipReason ?? 'no reason given' }));
}

/** "run <id>, 2026-11-22 10:00 UTC" (plus the shard), the facts a column is headed by. */
export function runLabel(run: RunResults): string {
  const t = Date.parse(run.startedAt);
  const when = Number.isNaN(t) ? run.startedAt : `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const shard = run.shard ? `, shard ${run.shard.index}/${run.shard.total}` : '';
  return `run ${run.runId}, ${when}${shard}`;
}
