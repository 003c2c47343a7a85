/**
 * @multiclaw-lab/load: load as a lab capability. Workers inside the lab's site hosts hold the
 * desktop apps' real-time sessions (the app's own client), the coordinator faults and heals,
 * samples the cloud, merges every worker's metrics exactly and judges thresholds.
 */
export { type EncodedMetrics, type HistogramSummary, MetricError, Metrics, type MetricsSummary } from './metrics.ts';
export {
  isProfileName,
  isStormFault,
  PROFILE_NAMES,
  PROFILES,
  type ProfileDefinition,
  type ProfileName,
  STORM_FAULTS,
  type StormFault,
} from './profiles.ts';
export type { LoadResults } from './report/results.ts';
export { LoadOptionError, type LoadOptions, runLoad } from './run-load.ts';
export { judgeThreshold, parseThreshold, type Threshold, ThresholdError, type ThresholdOutcome } from './thresholds.ts';
