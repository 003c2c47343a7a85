import { html } from '@multiclaw-lab/kit';
import type { CheckerFinding, CheckerResult } from '../../checkers/checker.ts';
import { formatDuration } from './format.ts';

/** Shown with the skipped colour: the checker could not judge, which is not a pass. */
const BADGE_CLASS: Record<CheckerResult['status'], string> = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  'not-enough-evidence': 'skipped',
};

const href = (path: string) => html(path.split('/').map(encodeURIComponent).join('/'));

function findingsTable(title: string, findings: readonly CheckerFinding[]): string {
  if (findings.length === 0) return '';
  const rows = findings
    .map((f) => `<tr><td class="path">${html(f.target)}</td><td>${html(f.message)}</td><td>${html(f.severity ?? '')}</td></tr>`)
    .join('\n');
  return `<h4>${html(title)} (${findings.length})</h4>
<table><thead><tr><th>Target</th><th>Finding</th><th>Rating</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function checkerBlock(c: CheckerResult): string {
  const evidence =
    c.evidence.length === 0
      ? ''
      : `<h4>Evidence</h4><ul class="evidence">${c.evidence.map((e) => `<li><a href="${href(e.path)}">${html(e.name)}</a></li>`).join('')}</ul>`;
  const reason = c.reason ? `<p class="muted">${html(c.reason)}</p>` : '';
  return `<div class="scenario checker" id="checker-${html(c.id)}" data-status="${html(c.status)}">
<h3><span class="badge st-${BADGE_CLASS[c.status]}">${html(c.status.toUpperCase())}</span> ${html(c.id)}: ${html(c.title)}</h3>
<dl><dt>Claims</dt><dd>${c.claims.map((id) => html(id)).join(', ')}</dd><dt>Took</dt><dd>${html(formatDuration(c.durationMs))}</dd></dl>
<p>${html(c.summary)}</p>
${reason}
${findingsTable('Findings', c.findings)}
${findingsTable('Let through, with the reason', c.accepted ?? [])}
${evidence}
</div>`;
}

/** The whole-run checkers: independent tools judging the lab from outside, one block each. */
export function checkersSection(checkers: readonly CheckerResult[] | undefined): string {
  const body =
    checkers === undefined || checkers.length === 0
      ? '<p class="muted">No checker ran in this run (<code>pnpm lab run</code> runs them after the scenarios unless told <code>--no-checkers</code>).</p>'
      : checkers.map(checkerBlock).join('\n');
  return `<section id="checkers">\n<h2>Checkers</h2>\n${body}\n</section>`;
}
