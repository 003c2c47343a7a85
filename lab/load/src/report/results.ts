/**
 * A load run's results, in `reports/load/<run-id>/`: results.json (every metric, percentiles,
 * thresholds and their outcome, the series over time), junit.xml (one test per threshold, so CI
 * shows a missed one as a failed test), and index.html with the plots drawn as static SVG.
 * reports/load/latest/ is a copy of the newest.
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { html, xmlAttr } from '@multiclaw-lab/kit';
import type { MetricsSummary } from '../metrics.ts';
import type { StormFault } from '../profiles.ts';
import type { ThresholdOutcome } from '../thresholds.ts';
import { lineChart } from './svg.ts';

export const PLOTTED_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];

export interface LoadResults {
  runId: string;
  profile: string;
  startedAt: string;
  finishedAt: string;
  driver: string;
  options: {
    clients: number;
    durationS: number;
    workers: Array<{ host: string; clients: number }>;
    /** storm and tasks: what the storm was */
    fault: StormFault;
    /** sessions and storm: whether the sessions resumed their TLS sessions */
    tlsResumption: boolean;
  };
  metrics: MetricsSummary;
  /** histogram → [percentile, value] pairs, for the latency-by-percentile plots */
  percentiles: Record<string, Array<[number, number]>>;
  series: {
    /** ms since the start, and the sessions connected then */
    t: number[];
    connected: number[];
    cloud: Array<{ t: number; cpuPercent: number; rssMib: number }>;
  };
  marks: Array<{ name: string; t: number }>;
  thresholds: ThresholdOutcome[];
  passed: boolean;
}

export function machine(): { cpus: number; memoryGiB: number; node: string } {
  return { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

export function renderJunit(r: LoadResults): string {
  const failures = r.thresholds.filter((t) => !t.passed).length;
  const cases = r.thresholds.map((t) => {
    const head = `    <testcase classname="load.${xmlAttr(r.profile)}" name="${xmlAttr(t.threshold)}" time="0.000">`;
    if (t.passed) return `${head}</testcase>`;
    const message = t.reason ?? `measured ${t.actual}`;
    return `${head}\n      <failure message="${xmlAttr(message)}" type="ThresholdMissed"/>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="multiclaw-lab load" tests="${r.thresholds.length}" failures="${failures}">`,
    `  <testsuite name="load ${xmlAttr(r.profile)} (${xmlAttr(r.runId)})" tests="${r.thresholds.length}" failures="${failures}" timestamp="${xmlAttr(r.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function renderHtml(r: LoadResults): string {
  const marks = r.marks.map((m) => ({ label: m.name, x: seconds(m.t) }));
  const charts = [
    lineChart({
      title: 'sessions connected over time',
      xLabel: 'seconds since the start',
      yLabel: 'sessions',
      series: [{ label: 'connected', colour: '#1f77b4', points: r.series.t.map((t, i) => [seconds(t), r.series.connected[i]!]) }],
      marks,
    }),
    lineChart({
      title: 'the cloud’s CPU and memory',
      xLabel: 'seconds since the start',
      yLabel: 'CPU % of a core · RSS MiB',
      series: [
        { label: 'CPU %', colour: '#d62728', points: r.series.cloud.map((s) => [seconds(s.t), s.cpuPercent]) },
        { label: 'RSS MiB', colour: '#2ca02c', points: r.series.cloud.map((s) => [seconds(s.t), s.rssMib]) },
      ],
      marks,
    }),
    ...Object.entries(r.percentiles).map(([name, points]) =>
      lineChart({
        title: `${name} by percentile`,
        xLabel: 'percentile',
        yLabel: 'ms',
        series: [{ label: name, colour: '#9467bd', points }],
        percentileAxis: true,
      }),
    ),
  ];
  const rows = r.thresholds.map(
    (t) =>
      `<tr class="${t.passed ? 'pass' : 'fail'}"><td>${t.passed ? 'passed' : 'FAILED'}</td><td><code>${html(t.threshold)}</code></td>` +
      `<td>${html(t.reason ?? String(t.actual))}</td></tr>`,
  );
  const counters = Object.entries({ ...r.metrics.counters, ...r.metrics.gauges }).map(
    ([k, v]) => `<tr><td><code>${html(k)}</code></td><td>${html(String(v))}</td></tr>`,
  );
  const histograms = Object.entries(r.metrics.histograms).map(
    ([k, h]) =>
      `<tr><td><code>${html(k)}</code></td>${[h.count, h.min, h.p50, h.p90, h.p99, h['p99.9'], h.max].map((v) => `<td>${v}</td>`).join('')}</tr>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>load ${html(r.profile)} ${html(r.runId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}td,th{padding:.2em .6em;text-align:left}.fail{color:#b00}.pass{color:#070}svg{display:block;margin:1em 0}</style>
</head><body>
<h1>Load: ${html(r.profile)} — ${r.passed ? 'passed' : 'FAILED'}</h1>
<p>${r.options.clients} sessions, at most ${r.options.durationS} s, ${html(r.driver)} lab${r.profile === 'storm' || r.profile === 'tasks' ? `, storm: ${html(r.options.fault)}` : ''}${r.options.tlsResumption ? ', TLS sessions resumed' : ''}; workers ${html(r.options.workers.map((w) => `${w.host} (${w.clients})`).join(', '))}. ${html(r.startedAt)} → ${html(r.finishedAt)}. <a href="results.json">results.json</a> · <a href="junit.xml">junit.xml</a></p>
<h2>Thresholds</h2><table>${rows.join('\n')}</table>
<h2>Plots</h2>
${charts.join('\n')}
<h2>Histograms (ms)</h2><table><tr><th>metric</th><th>count</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>${histograms.join('\n')}</table>
<h2>Counters and gauges</h2><table>${counters.join('\n')}</table>
</body></html>
`;
}

/** Writes the run's folder and refreshes reports/load/latest; answers the run's folder. */
export async function writeLoadReport(reportsDir: string, r: LoadResults): Promise<string> {
  const runDir = join(reportsDir, 'load', r.runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(join(runDir, 'results.json'), `${JSON.stringify({ ...r, machine: machine() }, null, 2)}\n`);
  await writeFile(join(runDir, 'junit.xml'), renderJunit(r));
  await writeFile(join(runDir, 'index.html'), renderHtml(r));
  const latest = join(reportsDir, 'load', 'latest');
  await rm(latest, { recursive: true, force: true });
  await cp(runDir, latest, { recursive: true });
  return runDir;
}
