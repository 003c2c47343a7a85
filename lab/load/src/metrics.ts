/**
 * What a load run measures, in three kinds that merge exactly across workers and machines:
 *   histogram  latencies and sizes (HdrHistogram: percentiles of the merged whole are exact to
 *              3 significant digits, not averages of per-worker percentiles)
 *   counter    events (connected, lost updates, failures): merged by adding
 *   gauge      one reading by one measurer (the cloud's RSS per session): never merged from two
 * A worker sends `encode()` as one JSON line; the coordinator `merge()`s them.
 */
import { LabError } from '@multiclaw-lab/kit';
import * as hdr from 'hdr-histogram-js';

export type MetricKind = 'histogram' | 'counter' | 'gauge';

/** A metric set as JSON: histograms as HdrHistogram's compressed base64. */
export interface EncodedMetrics {
  histograms: Record<string, string>;
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  'p99.9': number;
}

/** Every metric's values, as results.json carries them and thresholds judge them. */
export interface MetricsSummary {
  histograms: Record<string, HistogramSummary>;
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

export class MetricError extends LabError {
  constructor(message: string) {
    super('LAB_BAD_METRIC', message, { hint: 'each metric name has one kind; a gauge has one writer' });
  }
}

const NAME = /^[a-z][a-z0-9_]*$/;

function newHistogram(): hdr.Histogram {
  // JS (not WebAssembly) histograms: nothing to free, same encoding
  return hdr.build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export class Metrics {
  readonly #histograms = new Map<string, hdr.Histogram>();
  readonly #counters = new Map<string, number>();
  readonly #gauges = new Map<string, number>();

  #claim(name: string, kind: MetricKind): void {
    if (!NAME.test(name)) throw new MetricError(`metric names are lowercase words joined by _, not ${JSON.stringify(name)}`);
    const held = this.kindOf(name);
    if (held && held !== kind) throw new MetricError(`metric ${name} is a ${held}, not a ${kind}`);
  }

  kindOf(name: string): MetricKind | undefined {
    if (this.#histograms.has(name)) return 'histogram';
    if (this.#counters.has(name)) return 'counter';
    if (this.#gauges.has(name)) return 'gauge';
    return undefined;
  }

  /** One observation (milliseconds, bytes…): a whole number ≥ 0; fractions are rounded. */
  record(name: string, value: number): void {
    this.#claim(name, 'histogram');
    if (!Number.isFinite(value) || value < 0) throw new MetricError(`${name}: ${value} is not a value ≥ 0`);
    let h = this.#histograms.get(name);
    if (!h) {
      h = newHistogram();
      this.#histograms.set(name, h);
    }
    h.recordValue(Math.round(value));
  }

  add(name: string, by = 1): void {
    this.#claim(name, 'counter');
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + by);
  }

  set(name: string, value: number): void {
    this.#claim(name, 'gauge');
    if (!Number.isFinite(value)) throw new MetricError(`${name}: ${value} is not a number`);
    this.#gauges.set(name, value);
  }

  encode(): EncodedMetrics {
    return {
      histograms: Object.fromEntries([...this.#histograms].map(([k, h]) => [k, hdr.encodeIntoCompressedBase64(h)])),
      counters: Object.fromEntries(this.#counters),
      gauges: Object.fromEntries(this.#gauges),
    };
  }

  /** Adds another measurer's metrics to these (histograms and counters add up; a gauge must be new). */
  merge(other: EncodedMetrics): void {
    for (const [name, encoded] of Object.entries(other.histograms)) {
      this.#claim(name, 'histogram');
      // a histogram of our own, which grows to any range, takes the decoded one's counts
      let mine = this.#histograms.get(name);
      if (!mine) {
        mine = newHistogram();
        this.#histograms.set(name, mine);
      }
      mine.add(hdr.decodeFromCompressedBase64(encoded, 32, false));
    }
    for (const [name, n] of Object.entries(other.counters)) this.add(name, n);
    for (const [name, v] of Object.entries(other.gauges)) {
      if (this.#gauges.has(name)) throw new MetricError(`gauge ${name} was set by two measurers; a gauge has one`);
      this.set(name, v);
    }
  }

  summary(): MetricsSummary {
    const histograms: Record<string, HistogramSummary> = {};
    for (const [name, h] of this.#histograms) {
      histograms[name] = {
        count: h.totalCount,
        min: h.totalCount === 0 ? 0 : h.getValueAtPercentile(0),
        max: h.maxValue,
        mean: Math.round(h.mean * 1000) / 1000,
        p50: h.getValueAtPercentile(50),
        p90: h.getValueAtPercentile(90),
        p95: h.getValueAtPercentile(95),
        p99: h.getValueAtPercentile(99),
        'p99.9': h.getValueAtPercentile(99.9),
      };
    }
    return { histograms, counters: Object.fromEntries(this.#counters), gauges: Object.fromEntries(this.#gauges) };
  }

  /** the value at `percentile` (0–100) of a histogram, for thresholds at percentiles the summary does not list */
  percentile(name: string, percentile: number): number | undefined {
    return this.#histograms.get(name)?.getValueAtPercentile(percentile);
  }
}
