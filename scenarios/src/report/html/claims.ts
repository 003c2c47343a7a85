import { html } from '@multiclaw-lab/kit';
import type { ClaimResult, ClaimStatus, RunResults } from '../../model.ts';
import { PAGES } from '../../model.ts';
import { driverCell, statusDiffers } from '../driver-view.ts';
import { driverCells, driverHeaders, driverSkips } from './driver-columns.ts';
import { anchor, badge } from './format.ts';

export const CLAIM_STATUSES: readonly ClaimStatus[] = ['verified', 'failed', 'untested', 'untestable', 'contradiction'];

// the badge lives in format.ts so the per-driver columns can use it without importing this file back
export { badge } from './format.ts';

function scenarioLinks(claim: ClaimResult, known: Set<string>): string {
  const checkers = (claim.checkers ?? []).map((id) => `<a href="#checkers">checker ${html(id)}</a>`);
  if (claim.scenarios.length === 0 && checkers.length === 0) return '<span class="muted">none</span>';
  return [
    ...claim.scenarios.map((id) =>
      known.has(id) ? `<a href="#${anchor('scenario', id)}">${html(id)}</a>` : `<span>${html(id)}</span>`,
    ),
    ...checkers,
  ].join(', ');
}

/** One status cell (this run), or one per driver when `byDriver` holds more than one driver's run. */
function statusCells(claim: ClaimResult, byDriver: readonly RunResults[]): { cells: string; differs: boolean } {
  if (byDriver.length < 2) return { cells: `<td>${badge(claim.status)}</td>`, differs: false };
  const { html: cells, cells: seen } = driverCells(byDriver, claim.id);
  return { cells, differs: statusDiffers(seen) };
}

function row(claim: ClaimResult, known: Set<string>, byDriver: readonly RunResults[]): string {
  const reason = claim.reason
    ? `<div class="reason">Untestable: ${html(claim.reason)}</div>`
    : claim.contradiction
      ? `<div class="reason contradiction">The pages disagree: ${html(claim.contradiction.explanation)}<ul>${claim.contradiction.against
          .map((o) => `<li><a href="#${anchor('claim', o.id)}">${html(o.id)}</a>: ${html(o.sentence)}</li>`)
          .join('')}</ul></div>`
      : '';
  const { cells, differs } = statusCells(claim, byDriver);
  const mark = differs ? '<div class="differs-note">differs by driver</div>' : '';
  return `<tr id="${anchor('claim', claim.id)}" class="claim${differs ? ' differs' : ''}" data-status="${html(claim.status)}" data-page="${html(claim.page)}">
<td class="id">${html(claim.id)}${mark}</td><td>${html(claim.page)}</td><td>${html(claim.section)}</td>
<td class="sentence">${html(claim.sentence)}${reason}</td>${cells}<td>${scenarioLinks(claim, known)}</td></tr>`;
}

function differing(results: RunResults, byDriver: readonly RunResults[]): string {
  const n = results.claims.filter((c) => statusDiffers(byDriver.map((r) => driverCell(r, c.id)))).length;
  return n === 0 ? 'Every claim has the same status on every driver.' : `${n} claim(s) differ by driver.`;
}

function options(values: readonly string[]): string {
  return ['all', ...values].map((v) => `<option value="${html(v)}">${html(v)}</option>`).join('');
}

/**
 * `byDriver`: the newest run of each driver, this run among them (drivers.ts). With more than
 * one, the single Status column becomes one column per driver; the filter keeps judging by this
 * run's status.
 */
export function claimsMatrix(results: RunResults, byDriver: readonly RunResults[] = [results]): string {
  const known = new Set(results.scenarios.map((s) => s.id));
  const pages = [...new Set<string>([...PAGES, ...results.claims.map((c) => c.page)])];
  const rows = results.claims.map((c) => row(c, known, byDriver)).join('\n');
  const several = byDriver.length > 1;
  const statusHeads = several ? driverHeaders(byDriver, results) : '<th>Status</th>';
  return `<section id="claims">
<h2>Claims matrix</h2>
<p class="hint">Every promise in MultiClaw's pages. A claim is verified only when every scenario behind it passed.${several ? ` One status column per driver: its newest run. ${html(differing(results, byDriver))}` : ''}</p>
<div class="filters">
<label>Status${several ? ` on ${html(results.driver)}` : ''} <select id="filter-status">${options(CLAIM_STATUSES)}</select></label>
<label>Page <select id="filter-page">${options(pages)}</select></label>
<span id="filter-count" aria-live="polite">${results.claims.length} of ${results.claims.length} claims shown</span>
</div>
<table class="matrix">
<thead><tr><th>Claim</th><th>Page</th><th>Section</th><th>Sentence</th>${statusHeads}<th>Scenarios</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${several ? driverSkips(byDriver) : ''}
</section>`;
}
