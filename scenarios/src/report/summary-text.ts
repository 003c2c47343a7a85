/**
 * `summary.txt`: the run in plain text, for a terminal or a CI log: the driver, the totals and
 * every claim's status, one column per driver once results of more than one driver exist.
 */

import { cleanText } from '@multiclaw-lab/kit';
import type { RunResults } from '../model.ts';
import { type DriverCell, driverCell, runLabel, skippedOn, statusDiffers } from './driver-view.ts';
import { runPassed, totals } from './html/page.ts';

/** One line: no control characters, no line breaks from a log message or a reason. */
const line = (value: unknown) => cleanText(String(value)).replace(/\s+/g, ' ').trim();

/** Columns padded to their widest cell; every cell is cleaned to one line first. */
function table(raw: string[][]): string[] {
  const rows = raw.map((r) => r.map(line));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function cellText(cell: DriverCell): string {
  if (cell.status === 'absent') return 'not in that run';
  const why = [...cell.skipped.map((s) => `${s.id} skipped`), ...cell.failed.map((id) => `${id} failed`)];
  return `${cell.status.toUpperCase()}${why.length ? ` (${why.join(', ')})` : ''}`;
}

function claimsTable(results: RunResults, byDriver: readonly RunResults[]): string[] {
  if (byDriver.length < 2) {
    const rows = results.claims.map((c) => [c.id, c.status.toUpperCase(), c.scenarios.join(', ') || '-']);
    return ['claims:', ...table([['CLAIM', 'STATUS', 'SCENARIOS'], ...rows])];
  }
  const heads = byDriver.map((r) => `${r.driver.toUpperCase()}${r.driver === results.driver ? ' (this run)' : ''}`);
  const rows = results.claims.map((c) => {
    const cells = byDriver.map((r) => driverCell(r, c.id));
    return [c.id, ...cells.map(cellText), statusDiffers(cells) ? 'differs by driver' : ''];
  });
  const skips = byDriver.flatMap((r) =>
    skippedOn(r).map((s) => `  skipped on ${line(r.driver)}: ${line(`${s.id} ${s.title} - ${s.reason}`)}`),
  );
  return [
    "claims by driver (each column is that driver's newest run):",
    ...byDriver.map((r) => `  ${line(r.driver)}: ${line(runLabel(r))}`),
    ...table([['CLAIM', ...heads, ''], ...rows]),
    ...(skips.length ? ['', 'scenarios a driver skipped (their claims stay untested on that driver):', ...skips] : []),
  ];
}

export function renderSummaryText(results: RunResults, byDriver: readonly RunResults[] = [results]): string {
  const t = totals(results);
  const checkers = results.checkers ?? [];
  const head = [
    `MultiClaw Lab run ${results.runId}: ${runPassed(results, t) ? 'RUN PASSED' : 'RUN FAILED'}`,
    `driver: ${results.driver}`,
    `seed ${results.seed}, started ${results.startedAt}, finished ${results.finishedAt}`,
    ...(results.shard ? [`shard ${results.shard.index}/${results.shard.total} (claims and canary cover this shard only)`] : []),
    `scenarios: ${t.scenarios.passed} passed, ${t.scenarios.failed} failed, ${t.scenarios.skipped} skipped`,
    `claims: ${t.claims.verified} verified, ${t.claims.failed} failed, ${t.claims.untested} untested, ${t.claims.untestable} untestable, ${t.claims.contradiction} documented contradictions`,
    `secret canary: ${results.canary.hits.length === 0 ? 'no leaks' : `${results.canary.hits.length} LEAK(S)`}`,
    ...(checkers.length
      ? [`checkers: ${checkers.filter((c) => c.status === 'failed').length} failed of ${checkers.length}`]
      : []),
  ].map(line);
  return `${[...head, '', ...claimsTable(results, byDriver)].join('\n')}\n`;
}
