import { html } from '@multiclaw-lab/kit';
import { describe, expect, it } from 'vitest';
import { renderHtml } from './html/page.ts';
import { renderSummaryText } from './summary-text.ts';
import { DOCKER_SKIP_REASON, syntheticDockerResults, syntheticResults } from './synthetic-results.ts';

const netns = syntheticResults();
const docker = syntheticDockerResults();

/** The text of a tag's content with the markup dropped, as a reader sees it (roughly). */
const text = (fragment: string) =>
  fragment
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** claim id → driver → what its status cell says. */
function driverColumns(page: string): Record<string, Record<string, string>> {
  const rows = [...page.matchAll(/<tr id="claim-([^"]+)" class="claim[^"]*"[^>]*>([\s\S]*?)<\/tr>/g)];
  return Object.fromEntries(
    rows.map(([, id, row]) => [
      id,
      Object.fromEntries(
        [...row!.matchAll(/<td class="driver-status" data-driver="([^"]+)"[^>]*>([\s\S]*?)<\/td>/g)].map(([, d, cell]) => [
          d,
          text(cell!),
        ]),
      ),
    ]),
  );
}

const headers = (page: string) => [...page.matchAll(/<th class="driver-col"[^>]*>([\s\S]*?)<\/th>/g)].map(([, h]) => text(h!));

describe('the report names the driver', () => {
  it('shows "driver: <name>" in the page header and the title', () => {
    const page = renderHtml(docker);
    expect(page).toContain('<span class="driver" id="driver">driver: docker</span>');
    expect(page).toMatch(/<title>MultiClaw Lab run 2026-11-23T09-30-00Z-docker \(docker\): /);
  });

  it('names the driver on the second line of summary.txt', () => {
    expect(renderSummaryText(docker).split('\n').slice(0, 2)).toEqual([
      'MultiClaw Lab run 2026-11-23T09-30-00Z-docker: RUN PASSED',
      'driver: docker',
    ]);
  });
});

describe('with results of one driver only', () => {
  it('keeps the single Status column: no driver columns, no skip notes, no "differs"', () => {
    const page = renderHtml(netns, undefined, undefined, [netns]);
    const matrix = /<section id="claims">[\s\S]*?<\/section>/.exec(page)?.[0] ?? '';
    expect(matrix).toContain('<th>Sentence</th><th>Status</th><th>Scenarios</th>');
    for (const extra of ['driver-col', 'driver-status', 'driver-skips', 'differs', 'Status on'])
      expect(matrix).not.toContain(extra);
    expect(page).toBe(renderHtml(netns));
  });

  it('lists the claims in summary.txt with one STATUS column', () => {
    const summary = renderSummaryText(netns);
    expect(summary).toContain('CLAIM  STATUS      SCENARIOS\nNS-01  VERIFIED    S01\nCS-05  FAILED      S02\n');
    expect(summary).not.toContain('by driver');
  });
});

describe('with results of two drivers', () => {
  const page = renderHtml(netns, undefined, undefined, [docker, netns]);

  it('heads one status column per driver with the run id and date it comes from', () => {
    expect(page).not.toContain('<th>Status</th>');
    expect(headers(page)).toEqual([
      'driver: docker run 2026-11-23T09-30-00Z-docker, 2026-11-23 09:30 UTC',
      'driver: netns (this run) run 2026-11-22T10-00-00Z-test, 2026-11-22 10:00 UTC',
    ]);
  });

  it("shows each claim's status on each driver, and which scenario a driver skipped or failed", () => {
    expect(driverColumns(page)).toEqual({
      'NS-01': { docker: 'UNTESTED skipped on docker: S01', netns: 'VERIFIED' },
      'CS-05': { docker: 'VERIFIED', netns: 'FAILED failed on netns: S02' },
      'DE-03': { docker: 'UNTESTED skipped on docker: S03', netns: 'UNTESTED skipped on netns: S03' },
      'DE-09': { docker: 'UNTESTABLE', netns: 'UNTESTABLE' },
    });
  });

  it('gives the reason a driver skipped a scenario, as a tooltip and in a note under the table', () => {
    expect(page).toContain(`<div class="reason" title="${html(DOCKER_SKIP_REASON)}">skipped on docker: S01</div>`);
    const note = /<div id="driver-skips">([\s\S]*?)<\/div>/.exec(page)?.[1] ?? '';
    expect(text(note)).toContain(`skipped on docker: S01 Desktop WSS dropped → reconnects by itself — ${DOCKER_SKIP_REASON}`);
    expect(text(note)).toContain('skipped on netns: S03 DPI re-signing fails closed — mitmproxy is not installed');
  });

  it('marks the claims whose status differs by driver, and counts them', () => {
    const marked = [...page.matchAll(/<tr id="claim-([^"]+)" class="claim differs"/g)].map(([, id]) => id);
    expect(marked).toEqual(['NS-01', 'CS-05']);
    expect(page).toContain('2 claim(s) differ by driver.');
  });

  it('shows the same columns in summary.txt', () => {
    const summary = renderSummaryText(netns, [docker, netns]);
    expect(summary).toContain(
      [
        "claims by driver (each column is that driver's newest run):",
        '  docker: run 2026-11-23T09-30-00Z-docker, 2026-11-23 09:30 UTC',
        '  netns: run 2026-11-22T10-00-00Z-test, 2026-11-22 10:00 UTC',
        'CLAIM  DOCKER                  NETNS (this run)',
      ].join('\n'),
    );
    expect(summary).toContain('\nNS-01  UNTESTED (S01 skipped)  VERIFIED                differs by driver\n');
    expect(summary).toContain('\nDE-09  UNTESTABLE              UNTESTABLE\n');
    expect(summary).toContain(`  skipped on docker: S01 Desktop WSS dropped → reconnects by itself - ${DOCKER_SKIP_REASON}`);
  });
});
