import type { ClaimResult, ClaimStatus, RunResults } from '../../model.ts';
import { PAGES } from '../../model.ts';
import { html } from '../text.ts';
import { anchor } from './format.ts';

export const CLAIM_STATUSES: readonly ClaimStatus[] = ['verified', 'failed', 'untested', 'untestable', 'contradiction'];

/** A status as a person reads it: colour AND a word (never colour alone). */
export function badge(status: string): string {
  return `<span class="badge st-${html(status)}">${html(status.toUpperCase())}</span>`;
}

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

function row(claim: ClaimResult, known: Set<string>): string {
  const reason = claim.reason
    ? `<div class="reason">Untestable: ${html(claim.reason)}</div>`
    : claim.contradiction
      ? `<div class="reason contradiction">The pages disagree: ${html(claim.contradiction.explanation)}<ul>${claim.contradiction.against
          .map((o) => `<li><a href="#${anchor('claim', o.id)}">${html(o.id)}</a>: ${html(o.sentence)}</li>`)
          .join('')}</ul></div>`
      : '';
  return `<tr id="${anchor('claim', claim.id)}" class="claim" data-status="${html(claim.status)}" data-page="${html(claim.page)}">
<td class="id">${html(claim.id)}</td><td>${html(claim.page)}</td><td>${html(claim.section)}</td>
<td class="sentence">${html(claim.sentence)}${reason}</td><td>${badge(claim.status)}</td><td>${scenarioLinks(claim, known)}</td></tr>`;
}

function options(values: readonly string[]): string {
  return ['all', ...values].map((v) => `<option value="${html(v)}">${html(v)}</option>`).join('');
}

export function claimsMatrix(results: RunResults): string {
  const known = new Set(results.scenarios.map((s) => s.id));
  const pages = [...new Set<string>([...PAGES, ...results.claims.map((c) => c.page)])];
  const rows = results.claims.map((c) => row(c, known)).join('\n');
  return `<section id="claims">
<h2>Claims matrix</h2>
<p class="hint">Every promise in MultiClaw's pages. A claim is verified only when every scenario behind it passed.</p>
<div class="filters">
<label>Status <select id="filter-status">${options(CLAIM_STATUSES)}</select></label>
<label>Page <select id="filter-page">${options(pages)}</select></label>
<span id="filter-count" aria-live="polite">${results.claims.length} of ${results.claims.length} claims shown</span>
</div>
<table class="matrix">
<thead><tr><th>Claim</th><th>Page</th><th>Section</th><th>Sentence</th><th>Status</th><th>Scenarios</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>`;
}
