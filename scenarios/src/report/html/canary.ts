import { html } from '@multiclaw-lab/kit';
import type { CanaryReport } from '../../model.ts';

/** The secret canary scan. A hit is the loudest thing on the page: a secret leaked in plaintext. */
export function canarySection(canary: CanaryReport): string {
  const facts = `<p>${canary.planted} secret(s) planted, ${canary.filesScanned} file(s) scanned.</p>`;
  let verdict: string;
  if (canary.hits.length > 0) {
    const rows = canary.hits.map((h) => `<tr><td>${html(h.label)}</td><td class="path">${html(h.file)}</td></tr>`).join('\n');
    verdict = `<div class="alarm" role="alert"><strong>SECRET LEAK: ${canary.hits.length} plaintext secret(s) found in the run's artifacts.</strong>
<table><thead><tr><th>Secret</th><th>Found in</th></tr></thead><tbody>
${rows}
</tbody></table></div>`;
  } else if (canary.planted === 0 || canary.filesScanned === 0) {
    verdict = '<p class="warn">Nothing was planted or nothing was scanned: this scan proves nothing.</p>';
  } else {
    verdict = '<p class="ok">No planted secret was found in plaintext.</p>';
  }
  return `<section id="canary"><h2>Secret canary</h2>\n${facts}\n${verdict}\n</section>`;
}
