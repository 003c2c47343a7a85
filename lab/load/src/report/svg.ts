/**
 * Small static SVG charts for the load report (readable offline, nothing to load): a line chart
 * of one or more series over a shared x axis, with vertical marks (cut, heal) and axis labels.
 */
import { html } from '@multiclaw-lab/kit';

export interface LineSeries {
  label: string;
  points: Array<[number, number]>;
  colour: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  marks?: Array<{ label: string; x: number }>;
  /** log-like x axis for percentiles: 0, 50, 90, 99, 99.9 spread evenly */
  percentileAxis?: boolean;
}

const W = 640;
const H = 260;
const PAD = { left: 56, right: 16, top: 28, bottom: 40 };

/** Where a percentile sits on an axis where each "nine" gets the same width. */
export function percentileX(p: number): number {
  return p >= 100 ? 4 : -Math.log10(1 - p / 100);
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

export function lineChart(o: ChartOptions): string {
  const xs = o.series.flatMap((s) => s.points.map(([x]) => (o.percentileAxis ? percentileX(x) : x)));
  const ys = o.series.flatMap((s) => s.points.map(([, y]) => y));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const sx = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const lines = o.series.map((s) => {
    const d = s.points
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(o.percentileAxis ? percentileX(x) : x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    return `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.5"><title>${html(s.label)}</title></path>`;
  });
  // labels one under the other (marks can be a moment apart), kept inside the plot on the right
  const marks = (o.marks ?? []).map((m, i) => {
    const x = sx(m.x);
    const right = x > W - PAD.right - 60;
    return (
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="4 3"/>` +
      `<text x="${(right ? x - 3 : x + 3).toFixed(1)}" y="${PAD.top + 10 + i * 12}" font-size="10" fill="#555"${right ? ' text-anchor="end"' : ''}>${html(m.label)}</text>`
    );
  });
  const xTicks = o.percentileAxis
    ? [0, 50, 90, 99, 99.9].map((p) => ({ at: percentileX(p), label: `p${p}` }))
    : [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: xMin + f * (xMax - xMin), label: String(Math.round(xMin + f * (xMax - xMin))) }));
  const ticks = [
    ...xTicks.map(
      (t) =>
        `<text x="${sx(t.at).toFixed(1)}" y="${H - PAD.bottom + 14}" font-size="10" text-anchor="middle">${html(t.label)}</text>`,
    ),
    ...[0, 0.5, 1].map(
      (f) =>
        `<text x="${PAD.left - 6}" y="${(sy(f * yMax) + 3).toFixed(1)}" font-size="10" text-anchor="end">${html(String(f * yMax))}</text>`,
    ),
  ];
  const legend = o.series.map(
    (s, i) => `<text x="${PAD.left + 8 + i * 160}" y="${PAD.top - 8}" font-size="11" fill="${s.colour}">${html(s.label)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${html(o.title)}">`,
    `<title>${html(o.title)}</title>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${W - PAD.left - PAD.right}" height="${H - PAD.top - PAD.bottom}" fill="none" stroke="#ccc"/>`,
    ...lines,
    ...marks,
    ...ticks,
    ...legend,
    `<text x="${W / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${html(o.xLabel)}</text>`,
    `<text x="12" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${html(o.yLabel)}</text>`,
    '</svg>',
  ].join('\n');
}
