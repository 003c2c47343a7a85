/**
 * The claims matrix's per-driver columns, shown once results of more than one driver exist: one
 * status column per driver's newest run, and under the table every scenario a driver skipped,
 * with its reason, so a claim verified on one driver and untested on another says why.
 */

import { html } from '@multiclaw-lab/kit';
import type { RunResults } from '../../model.ts';
import { type DriverCell, driverCell, runLabel, skippedOn } from '../driver-view.ts';
import { badge } from './format.ts';

export function driverHeaders(runs: readonly RunResults[], current: RunResults): string {
  return runs
    .map((r) => {
      const mark = r.driver === current.driver ? ' <span class="muted">(this run)</span>' : '';
      return `<th class="driver-col" data-driver="${html(r.driver)}">driver: ${html(r.driver)}${mark}<div class="run">${html(runLabel(r))}</div></th>`;
    })
    .join('');
}

function notes(run: RunResults, cell: DriverCell): string {
  const skipped = cell.skipped.map(
    (s) => `<div class="reason" title="${html(s.reason)}">skipped on ${html(run.driver)}: ${html(s.id)}</div>`,
  );
  const failed = cell.failed.map((id) => `<div class="reason">failed on ${html(run.driver)}: ${html(id)}</div>`);
  return [...skipped, ...failed].join('');
}

export function driverCells(runs: readonly RunResults[], claimId: string): { html: string; cells: DriverCell[] } {
  const cells = runs.map((r) => driverCell(r, claimId));
  const tds = cells.map((cell, i) => {
    const run = runs[i]!;
    const status = cell.status === 'absent' ? '<span class="muted">not in that run</span>' : badge(cell.status);
    return `<td class="driver-status" data-driver="${html(run.driver)}" data-status="${html(cell.status)}">${status}${notes(run, cell)}</td>`;
  });
  return { html: tds.join(''), cells };
}

/** Under the table: "skipped on docker: S25 (title) — reason", for every driver's run. */
export function driverSkips(runs: readonly RunResults[]): string {
  const items = runs.flatMap((r) =>
    skippedOn(r).map(
      (s) =>
        `<li>skipped on ${html(r.driver)}: <strong>${html(s.id)}</strong> ${html(s.title)} — <span class="skip">${html(s.reason)}</span></li>`,
    ),
  );
  if (items.length === 0) return '<p id="driver-skips" class="muted">No driver skipped a scenario.</p>';
  return `<div id="driver-skips"><strong>Scenarios a driver skipped</strong> (their claims stay untested on that driver)<ul>${items.join('')}</ul></div>`;
}
