import { html } from '@multiclaw-lab/kit';
import type { ClaimStatus, RunResults } from '../../model.ts';
import type { MutationRun } from '../../mutate/model.ts';
import { mutantsSection } from '../../mutate/report.ts';
import type { GatheredEvidence } from '../evidence.ts';
import { cspHash, SCRIPT, STYLE } from './assets.ts';
import { canarySection } from './canary.ts';
import { checkersSection } from './checkers.ts';
import { CLAIM_STATUSES, claimsMatrix } from './claims.ts';
import { formatDuration } from './format.ts';
import { scenarioSection } from './scenarios.ts';

export interface Totals {
  scenarios: Record<'passed' | 'failed' | 'skipped', number>;
  claims: Record<ClaimStatus, number>;
}

export function totals(results: RunResults): Totals {
  const count = <T extends string>(values: T[], keys: readonly T[]) =>
    Object.fromEntries(keys.map((k) => [k, values.filter((v) => v === k).length])) as Record<T, number>;
  return {
    scenarios: count(
      results.scenarios.map((s) => s.status),
      ['passed', 'failed', 'skipped'],
    ),
    claims: count(
      results.claims.map((c) => c.status),
      CLAIM_STATUSES,
    ),
  };
}

/** The run failed when a scenario failed, a claim failed, a planted secret turned up in plaintext, or a checker failed. */
export function runPassed(results: RunResults, t: Totals = totals(results)): boolean {
  const checkersFailed = (results.checkers ?? []).some((c) => c.status === 'failed');
  return t.scenarios.failed === 0 && t.claims.failed === 0 && results.canary.hits.length === 0 && !checkersFailed;
}

function header(results: RunResults, t: Totals, warnings: string[]): string {
  const passed = runPassed(results, t);
  const elapsed = Date.parse(results.finishedAt) - Date.parse(results.startedAt);
  const warningList =
    warnings.length === 0
      ? ''
      : `<div class="warnings"><strong>Report warnings</strong><ul>${warnings.map((w) => `<li>${html(w)}</li>`).join('')}</ul></div>`;
  return `<header>
<h1>MultiClaw Lab run ${html(results.runId)}</h1>
<span class="verdict ${passed ? 'pass' : 'fail'}" id="verdict">${passed ? 'RUN PASSED' : 'RUN FAILED'}</span>
<span class="driver" id="driver">driver: ${html(results.driver)}</span>
<dl class="meta">
<dt>Driver</dt><dd>${html(results.driver)}</dd>
<dt>Seed</dt><dd>${html(results.seed)}</dd>
${results.shard ? `<dt>Shard</dt><dd id="shard">${html(`${results.shard.index}/${results.shard.total}`)} <span class="muted">(${html(results.scenarios.length)} of ${html(results.shard.selected)} selected scenarios; claims and canary cover this shard only)</span></dd>\n` : ''}<dt>Started</dt><dd>${html(results.startedAt)}</dd>
<dt>Finished</dt><dd>${html(results.finishedAt)} <span class="muted">(${html(formatDuration(elapsed))})</span></dd>
</dl>
<div class="totals">
<div id="totals-scenarios"><strong>Scenarios:</strong> ${t.scenarios.passed} passed, ${t.scenarios.failed} failed, ${t.scenarios.skipped} skipped</div>
<div id="totals-claims"><strong>Claims:</strong> ${t.claims.verified} verified, ${t.claims.failed} failed, ${t.claims.untested} untested, ${t.claims.untestable} untestable, ${t.claims.contradiction} documented contradictions</div>
<div id="totals-canary"><strong>Canary:</strong> ${results.canary.hits.length === 0 ? 'no leaks' : `${results.canary.hits.length} LEAK(S)`}</div>
${results.checkers ? `<div id="totals-checkers"><strong>Checkers:</strong> ${results.checkers.filter((c) => c.status === 'passed').length} passed, ${results.checkers.filter((c) => c.status === 'failed').length} failed, ${results.checkers.filter((c) => c.status !== 'passed' && c.status !== 'failed').length} not judged</div>\n` : ''}</div>
${warningList}
<nav><a href="#canary">Secret canary</a> · <a href="#checkers">Checkers</a> · <a href="#claims">Claims matrix</a> · <a href="#mutants">Mutants</a> · <a href="#scenarios">Scenarios</a> · <a href="results.json">results.json</a> · <a href="junit.xml">junit.xml</a> · <a href="summary.txt">summary.txt</a></nav>
</header>`;
}

/** Files in evidence/ that belong to the run rather than to one scenario (e.g. the database dump). */
function runEvidence(paths: string[]): string {
  if (paths.length === 0) return '';
  const items = paths.map((p) => `<li><a href="${html(p.split('/').map(encodeURIComponent).join('/'))}">${html(p)}</a></li>`);
  return `<section id="run-evidence"><h2>Run evidence</h2>\n<ul class="evidence">${items.join('\n')}</ul>\n</section>`;
}

/**
 * One self-contained HTML document. The Content-Security-Policy allows only the inline style and
 * script by hash and nothing from anywhere: the page makes no request, even by accident.
 */
export function renderHtml(
  results: RunResults,
  evidence: Pick<GatheredEvidence, 'state' | 'unlisted' | 'warnings'> = { state: new Map(), unlisted: [], warnings: [] },
  /** the newest `lab mutate` run, shown as its own section: which claims are proven able to fail */
  mutation?: MutationRun,
  /** the newest run of each driver, this one among them: more than one gives the claims matrix a column per driver */
  byDriver: readonly RunResults[] = [results],
): string {
  const t = totals(results);
  const claims = new Map(results.claims.map((c) => [c.id, c]));
  const csp = `default-src 'none'; style-src ${cspHash(STYLE)}; script-src ${cspHash(SCRIPT)}; img-src data:; base-uri 'none'; form-action 'none'`;
  const scenarios = results.scenarios.map((s) => scenarioSection(s, claims, evidence.state)).join('\n');
  const checkerEvidence = new Set((results.checkers ?? []).flatMap((c) => c.evidence.map((e) => e.path)));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${html(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(`MultiClaw Lab run ${results.runId} (${results.driver}): ${runPassed(results, t) ? 'passed' : 'FAILED'}`)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${header(results, t, evidence.warnings)}
<main>
${canarySection(results.canary)}
${checkersSection(results.checkers)}
${runEvidence(evidence.unlisted.filter((path) => !checkerEvidence.has(path)))}
${claimsMatrix(results, byDriver)}
${mutation ? mutantsSection(mutation) : '<section id="mutants"><h2>Mutants</h2><p class="muted">No mutation run yet: <code>pnpm lab mutate</code> shows which claims can fail.</p></section>'}
<section id="scenarios">
<h2>Scenarios</h2>
${scenarios || '<p class="muted">No scenario ran.</p>'}
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
