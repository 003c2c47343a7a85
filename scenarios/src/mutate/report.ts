/**
 * `reports/mutants/<run-id>/`: results.json, junit.xml (one test per mutant: a mutant that was not
 * killed is a failure) and index.html (killed / survived per mutant; per claim the mutants that
 * prove it can fail, and the claims none does); `reports/mutants/latest/` is a copy of the newest.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { html, xmlAttr, xmlText } from '@multiclaw-lab/kit';
import { cspHash, STYLE } from '../report/html/assets.ts';
import { badge } from '../report/html/claims.ts';
import { formatDuration } from '../report/html/format.ts';
import { refreshLatest } from '../report/latest.ts';
import type { MutantResult, MutationRun } from './model.ts';

export const MUTANTS_DIR = 'mutants';

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function verdictText(m: MutantResult): string {
  switch (m.outcome) {
    case 'killed':
      return `by ${m.killedBy?.by}: ${m.killedBy?.step} [${m.killedBy?.claims.join(', ')}]`;
    case 'survived':
      return `SURVIVED: ${m.scenarios.map((s) => s.id).join(', ')} passed with the defect on`;
    case 'no-scenario':
      return `no scenario names any of ${m.claims.join(', ')}`;
    case 'errored':
      return `ERRORED: ${
        m.error ??
        m.scenarios
          .filter((s) => s.status !== 'passed')
          .map((s) => `${s.id} ${s.status}${s.failure ? ` (${s.failure.kind})` : ''}: ${s.message ?? ''}`)
          .join('; ')
      }`;
  }
}

export function renderMutantsJunit(run: MutationRun): string {
  const failures = run.mutants.filter((m) => m.outcome !== 'killed').length;
  const total = run.mutants.reduce((n, m) => n + m.durationMs, 0);
  const cases = run.mutants.map((m) => {
    const head = `    <testcase classname="mutant.${xmlAttr(m.tags[0] ?? 'mutant')}" name="${xmlAttr(`${m.id}: ${m.defect}`)}" time="${seconds(m.durationMs)}">`;
    const body =
      m.outcome === 'killed'
        ? `\n      <system-out>${xmlText(verdictText(m))}</system-out>\n    `
        : `\n      <failure message="${xmlAttr(verdictText(m))}" type="Mutant${m.outcome === 'survived' ? 'Survived' : 'NotKilled'}">${xmlText(JSON.stringify(m.scenarios, null, 2))}</failure>\n    `;
    return `${head}${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="MultiClaw Lab mutants" tests="${run.mutants.length}" failures="${failures}" time="${seconds(total)}">
  <testsuite name="mutants ${xmlAttr(run.runId)}" tests="${run.mutants.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(total)}" timestamp="${xmlAttr(run.startedAt)}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}

/** The mutants section, shared by the mutation page and the scenario report. */
export function mutantsSection(run: MutationRun): string {
  const killed = run.mutants.filter((m) => m.outcome === 'killed').length;
  const rows = run.mutants.map(
    (m) =>
      `<tr class="${m.outcome === 'killed' ? 'verified' : 'failed'}" id="mutant-${html(m.id)}"><td><code>${html(m.id)}</code></td><td>${html(m.defect)}</td><td>${html(m.claims.join(', '))}</td><td>${badge(m.outcome)} ${html(verdictText(m))}</td><td>${html(formatDuration(m.durationMs))}</td></tr>`,
  );
  const unproven = run.claims.filter((c) => c.killedBy.length === 0);
  const proven = run.claims.filter((c) => c.killedBy.length > 0);
  const claimRow = (c: MutationRun['claims'][number]) =>
    `<tr><td><code>${html(c.id)}</code></td><td>${html(c.sentence)}</td><td>${c.killedBy.length ? c.killedBy.map((k) => `<a href="#mutant-${html(k)}"><code>${html(k)}</code></a>`).join(' ') : badge('none')}</td></tr>`;
  return `<section id="mutants">
<h2>Mutants: ${killed} of ${run.mutants.length} killed</h2>
<p class="muted">Each mutant is one deliberate defect in one component. Killed: a scenario check of one of its claims failed with the defect on. Run ${html(run.runId)} (${html(run.driver)}), ${html(run.startedAt)}.</p>
<table class="mutants"><thead><tr><th>Mutant</th><th>Defect</th><th>Claims</th><th>Verdict</th><th>Time</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<h3 id="claims-unproven">Verifiable claims no mutant has shown able to fail: ${unproven.length} of ${run.claims.length}</h3>
${unproven.length ? `<table><tbody>${unproven.map(claimRow).join('\n')}</tbody></table>` : '<p>None: every claim the suite verifies has a mutant that breaks its check.</p>'}
<h3 id="claims-proven">Claims proven able to fail: ${proven.length}</h3>
<table><thead><tr><th>Claim</th><th>Sentence</th><th>Killed mutants</th></tr></thead><tbody>${proven.map(claimRow).join('\n')}</tbody></table>
</section>`;
}

export function renderMutantsHtml(run: MutationRun): string {
  const allKilled = run.mutants.every((m) => m.outcome === 'killed');
  const csp = `default-src 'none'; style-src ${cspHash(STYLE)}; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${html(csp)}">
<title>${html(`MultiClaw Lab mutants ${run.runId}: ${allKilled ? 'all killed' : 'NOT ALL KILLED'}`)}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>MultiClaw Lab mutation run ${html(run.runId)}</h1>
<span class="verdict ${allKilled ? 'pass' : 'fail'}" id="verdict">${allKilled ? 'ALL MUTANTS KILLED' : 'MUTANTS NOT KILLED'}</span>
<nav><a href="results.json">results.json</a> · <a href="junit.xml">junit.xml</a></nav></header>
<main>
${mutantsSection(run)}
</main>
</body>
</html>
`;
}

/** Writes the run's folder under `<reportsDir>/mutants/` and refreshes `mutants/latest/`. */
export async function writeMutantsReport(run: MutationRun, reportsDir: string): Promise<{ runDir: string }> {
  const base = join(resolve(reportsDir), MUTANTS_DIR);
  const runDir = join(base, run.runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(join(runDir, 'junit.xml'), renderMutantsJunit(run));
  await writeFile(join(runDir, 'index.html'), renderMutantsHtml(run));
  await refreshLatest(base, runDir, run.runId);
  return { runDir };
}
