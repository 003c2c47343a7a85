import type { Machine } from '../machine.ts';
import type { CellResult } from './cell.ts';

export interface WebrtcBenchReport {
  machine: Machine;
  settings: { framesPerSecond: number; frameBytes: number; warmupMs: number; windowMs: number; viewerCounts: number[] };
  cells: { mode: string; label: string; result: CellResult }[];
  /** 1-minute load average at the start and the end: other work on the machine shows here */
  loadAverage: [number, number];
  durationMs: number;
}

/** The figures of one cell, as printed and as kept in the JSON next to the raw counts. */
export interface CellSummary {
  connectMedianMs: number | undefined;
  connectP95Ms: number | undefined;
  fpsPerViewerMedian: number | undefined;
  fpsPerViewerMin: number | undefined;
  fpsTotal: number;
  /** received ÷ what the streamer was asked for (fps × viewers × window) */
  deliveredRatio: number;
  /** sent + skipped ÷ asked for: below 100 % the streamer's own timers fell behind (a busy event loop) */
  sentRatio: number;
  mbitPerSecond: number;
  /** skipped by the streamer (send buffer full), of the frames it had to send */
  skippedRatio: number;
  /** sent in the window but not received in it (queued, late), of the frames it had to send */
  notArrivedRatio: number;
  lossRatio: number;
  /** CPU of one core, in % */
  cpuPercent: { coturn: number; streamer: number; viewers: number };
}

/** Nearest-rank percentile: with fewer than 20 samples, p95 is the largest. */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarise(cell: CellResult, framesPerSecond: number): CellSummary {
  const w = cell.windowSeconds;
  const received = cell.framesPerViewer.reduce((a, b) => a + b, 0);
  const perViewer = cell.framesPerViewer.map((f) => f / w);
  const due = cell.streamer.framesSent + cell.streamer.framesSkipped;
  const notArrived = Math.max(0, cell.streamer.framesSent - received);
  const pct = (seconds: number) => (seconds / w) * 100;
  return {
    connectMedianMs: percentile(cell.connectMs, 50),
    connectP95Ms: percentile(cell.connectMs, 95),
    fpsPerViewerMedian: percentile(perViewer, 50),
    fpsPerViewerMin: perViewer.length ? Math.min(...perViewer) : undefined,
    fpsTotal: received / w,
    deliveredRatio: received / w / (framesPerSecond * cell.viewers),
    sentRatio: due / w / (framesPerSecond * cell.viewers),
    mbitPerSecond: (cell.bytesReceived * 8) / w / 1e6,
    skippedRatio: due > 0 ? cell.streamer.framesSkipped / due : 0,
    notArrivedRatio: due > 0 ? notArrived / due : 0,
    lossRatio: due > 0 ? (cell.streamer.framesSkipped + notArrived) / due : 0,
    cpuPercent: {
      coturn: pct(cell.cpuSeconds.coturn),
      streamer: pct(cell.cpuSeconds.streamer),
      viewers: pct(cell.cpuSeconds.viewers),
    },
  };
}

const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)} ms`);
const num = (v: number | undefined, digits = 1) => (v === undefined ? '–' : v.toFixed(digits));
const percent = (r: number) => `${(r * 100).toFixed(1)} %`;

/** The Markdown tables printed on stdout (and pasted into the README). */
export function markdown(report: WebrtcBenchReport): string {
  const m = report.machine;
  const s = report.settings;
  const load = report.loadAverage.map((l) => l.toFixed(2)).join(' → ');
  const out = [
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, ${m.date.slice(0, 10)}; ` +
      `1-min load average ${load} (start → end)`,
    `Streamer at ${s.framesPerSecond} frames/s per viewer, ${s.frameBytes.toLocaleString('en-US')}-byte JPEG frames; counted over ` +
      `${s.windowMs / 1000} s after ${s.warmupMs / 1000} s of warm-up; one coturn; p95 is nearest-rank (the slowest of fewer than 20).`,
    '',
    '| mode | viewers | pair (viewer→desktop) | connect median / p95 | fps per viewer (median, min) | fps total | delivered | Mbit/s | vs direct |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  const loss = [
    '| mode | viewers | streamer sent | skipped | not arrived | loss | coturn CPU | streamer CPU | viewers CPU | allocations |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const directMbit = new Map<number, number>();
  for (const { mode, label, result } of report.cells) {
    const sum = summarise(result, s.framesPerSecond);
    if (mode === 'direct') directMbit.set(result.viewers, sum.mbitPerSecond);
    const base = directMbit.get(result.viewers);
    const pairs = Object.entries(result.pairs)
      .map(([k, n]) => (n > 1 ? `${k} ×${n}` : k))
      .join(', ');
    const viewers = `${result.viewers}${result.connected < result.viewers ? ` (${result.viewers - result.connected} failed)` : ''}`;
    out.push(
      `| ${label} | ${viewers} | ${pairs || '–'} | ${ms(sum.connectMedianMs)} / ${ms(sum.connectP95Ms)} | ` +
        `${num(sum.fpsPerViewerMedian)}, ${num(sum.fpsPerViewerMin)} | ${num(sum.fpsTotal)} | ${percent(sum.deliveredRatio)} | ` +
        `${num(sum.mbitPerSecond, 1)} | ${base ? `${(sum.mbitPerSecond / base).toFixed(2)}×` : '–'} |`,
    );
    loss.push(
      `| ${label} | ${viewers} | ${percent(sum.sentRatio)} | ${percent(sum.skippedRatio)} | ${percent(sum.notArrivedRatio)} | ` +
        `${percent(sum.lossRatio)} | ${num(sum.cpuPercent.coturn, 0)} % | ${num(sum.cpuPercent.streamer, 0)} % | ` +
        `${num(sum.cpuPercent.viewers, 0)} % | ${result.allocations} |`,
    );
  }
  const broken = report.cells.filter((c) => !c.result.framesIntact);
  out.push(
    '',
    ...loss,
    '',
    broken.length === 0
      ? 'Every frame received matched the streamer’s bytes (sha256).'
      : `FRAMES DIFFERED from the streamer’s in: ${broken.map((c) => `${c.label} × ${c.result.viewers}`).join(', ')}`,
  );
  return out.join('\n');
}
