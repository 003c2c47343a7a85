import { html } from '@multiclaw-lab/kit';
import type { ClaimResult, Evidence, ScenarioResult, TimelineEntry } from '../../model.ts';
import type { EvidenceState } from '../evidence.ts';
import { badge } from './claims.ts';
import { anchor, clockTime, compactFields, formatDuration, formatNumber, offset } from './format.ts';

function list(values: string[]): string {
  return values.length === 0 ? '<span class="muted">none</span>' : values.map(html).join(', ');
}

function claimLinks(s: ScenarioResult, claims: Map<string, ClaimResult>): string {
  if (s.claims.length === 0) return '<span class="muted">none</span>';
  return s.claims
    .map((id) => {
      const claim = claims.get(id);
      return claim
        ? `<a href="#${anchor('claim', id)}">${html(id)}</a> ${badge(claim.status)}`
        : `${html(id)} (not in the catalogue)`;
    })
    .join(' · ');
}

function metrics(s: ScenarioResult): string {
  if (s.metrics.length === 0) return '';
  const rows = s.metrics
    .map((m) => `<tr><td>${html(m.name)}</td><td class="num">${html(formatNumber(m.value))}</td><td>${html(m.unit)}</td></tr>`)
    .join('\n');
  return `<h4>Metrics</h4>\n<table class="metrics"><thead><tr><th>Metric</th><th>Value</th><th>Unit</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** Splits a relative path into URL-encoded segments so names with spaces or '#' still link. */
function href(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function evidenceItem(e: Evidence, state: EvidenceState): string {
  const label = `${html(e.name)} <span class="muted">(${html(e.kind)})</span>`;
  switch (state.get(e.path) ?? 'missing') {
    case 'present':
      return `<li><a href="${html(href(e.path))}">${label}</a> <span class="path">${html(e.path)}</span></li>`;
    case 'outside':
      return `<li>${label} <span class="warn">not linked: ${html(e.path)} points outside the run folder</span></li>`;
    default:
      return `<li>${label} <span class="warn">missing: ${html(e.path)} is not in the run folder</span></li>`;
  }
}

function evidence(s: ScenarioResult, state: EvidenceState): string {
  if (s.evidence.length === 0) return '';
  return `<h4>Evidence</h4>\n<ul class="evidence">\n${s.evidence.map((e) => evidenceItem(e, state)).join('\n')}\n</ul>`;
}

/** The merged timeline, oldest first (stable for equal times); open by default when the scenario failed. */
function timeline(s: ScenarioResult): string {
  const entries = s.timeline
    .map((entry, i) => ({ entry, i, t: Date.parse(entry.time) }))
    .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) ? 0 : a.t - b.t) || a.i - b.i)
    .map((x) => x.entry);
  const start = entries.length > 0 ? Date.parse(entries[0]!.time) : Number.NaN;
  const rows = entries.map((e: TimelineEntry) => {
    const source = e.source === 'scenario' ? 'src-scenario' : 'src-service';
    return `<tr class="entry"><td class="time" title="${html(e.time)}">${html(clockTime(e.time))} <span class="muted">${html(offset(e.time, start))}</span></td><td class="${source}">${html(e.source)}</td><td class="event">${html(e.event)}</td><td class="fields">${html(compactFields(e.fields))}</td></tr>`;
  });
  const body =
    entries.length === 0
      ? '<p class="muted">No timeline entries were recorded.</p>'
      : `<table class="timeline"><thead><tr><th>Time (UTC)</th><th>Source</th><th>Event</th><th>Fields</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
  return `<details class="timeline"${s.status === 'failed' ? ' open' : ''}><summary>Timeline (${entries.length} entries)</summary>\n${body}\n</details>`;
}

function outcome(s: ScenarioResult): string {
  if (s.status === 'failed') {
    const message = s.error?.message ?? 'The scenario failed without recording an error.';
    const stack = s.error?.stack ? `<pre class="stack">${html(s.error.stack)}</pre>` : '';
    return `<div class="error" role="alert"><strong>Failed:</strong> <span class="message">${html(message)}</span>${stack}</div>`;
  }
  if (s.status === 'skipped') return `<p class="skip">Skipped: ${html(s.skipReason ?? 'no reason given')}</p>`;
  return '';
}

export function scenarioSection(s: ScenarioResult, claims: Map<string, ClaimResult>, state: EvidenceState): string {
  return `<section class="scenario" id="${anchor('scenario', s.id)}" data-status="${html(s.status)}">
<h3>${badge(s.status)} ${html(s.id)}: ${html(s.title)}</h3>
${outcome(s)}
<dl>
<dt>Duration</dt><dd>${html(formatDuration(s.durationMs))}</dd>
<dt>Claims</dt><dd>${claimLinks(s, claims)}</dd>
<dt>Tags</dt><dd>${list(s.tags)}</dd>
<dt>Needs</dt><dd>${list(s.needs)}</dd>
<dt>Seed</dt><dd>${html(s.seed)}</dd>
</dl>
${metrics(s)}
${evidence(s, state)}
${timeline(s)}
</section>`;
}
