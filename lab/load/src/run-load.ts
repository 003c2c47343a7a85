/**
 * `lab load <profile>` on a running lab: accounts made through the cloud's API, one worker per
 * site desktop host holding its share of the sessions, the cloud's CPU and memory sampled from
 * its host, the profile's fault (if any) proven to take effect and healed, then every worker's
 * metrics merged, every threshold judged, and the results written. Every run is bounded in
 * sessions and time and stops by itself.
 */
import { CLOUD_GROUP, type Lab } from '@multiclaw-lab/core';
import { LabError } from '@multiclaw-lab/kit';
import type { Fault } from '@multiclaw-lab/network';
import { CloudSampler } from './coordinator/cloud-sampler.ts';
import { type LoadWorker, shareOut, startWorker } from './coordinator/workers.ts';
import { type RunContext, sum } from './drive/context.ts';
import { concludeSessions, driveSessions, driveStorm } from './drive/sessions.ts';
import { driveSignin } from './drive/signin.ts';
import { driveTasks } from './drive/tasks.ts';
import { concludeTurn, driveTurn } from './drive/turn.ts';
import { Metrics } from './metrics.ts';
import { PROFILES, type ProfileName, type StormFault, TLS_RESUMING_PROFILES } from './profiles.ts';
import { type LoadResults, PLOTTED_PERCENTILES, writeLoadReport } from './report/results.ts';
import { judgeThreshold, parseThreshold } from './thresholds.ts';

export interface LoadOptions {
  profile: ProfileName;
  clients?: number;
  durationS?: number;
  /** storm and tasks: how long the links stay cut once every connection dropped (default 5 s) */
  outageS?: number;
  /** storm and tasks: cut every site's link (default) or kill a cloud instance (needs several) */
  fault?: StormFault;
  /** sessions and storm: each session resumes its TLS session when it reconnects (default off, as the app ships) */
  tlsResumption?: boolean;
  /** more thresholds, besides the profile's own */
  thresholds?: string[];
  /** reports/load/<run-id>/ goes under it */
  reportsDir: string;
  onProgress?: (text: string) => void;
}

export class LoadOptionError extends LabError {
  constructor(message: string) {
    super('LAB_BAD_LOAD', message, { hint: 'each profile and its bounds: lab/load/README.md' });
  }
}

function bounded(what: string, value: number, limit: number): number {
  if (!Number.isInteger(value) || value < 1 || value > limit)
    throw new LoadOptionError(`${what} must be a whole number from 1 to ${limit}, not ${value}`);
  return value;
}

/** What each profile does between the workers' start and their stop, and after their metrics are in. */
const DRIVES: Record<ProfileName, { drive(run: RunContext): Promise<void>; conclude?(run: RunContext): void }> = {
  sessions: { drive: driveSessions, conclude: concludeSessions },
  storm: { drive: driveStorm, conclude: concludeSessions },
  signin: { drive: driveSignin },
  tasks: { drive: driveTasks, conclude: concludeSessions },
  turn: { drive: driveTurn, conclude: concludeTurn },
};

/** what a profile's clients are */
const CLIENTS_ARE: Record<ProfileName, string> = {
  sessions: 'sessions',
  storm: 'sessions',
  signin: 'attacked accounts',
  tasks: 'gateways',
  turn: 'relayed sessions on each leg',
};

const TICK_MS = 250;

export async function runLoad(lab: Lab, options: LoadOptions): Promise<{ results: LoadResults; runDir: string }> {
  const profile = PROFILES[options.profile];
  const clients = bounded('--clients', options.clients ?? profile.defaults.clients, profile.limits.clients);
  const durationS = bounded('--duration', options.durationS ?? profile.defaults.durationS, profile.limits.durationS);
  // every threshold is read before anything starts: a typo costs nothing
  const thresholds = [
    ...profile.thresholds(clients),
    // a run that says it resumed sessions must have: a cache that never resumes would measure nothing
    ...(options.tlsResumption && options.profile === 'storm' ? ['tls_resumed > 0'] : []),
    ...(options.thresholds ?? []),
  ].map(parseThreshold);
  const progress = options.onProgress ?? (() => undefined);
  const outageMs = (options.outageS ?? 5) * 1000;
  const fault = options.fault ?? 'links';
  if (fault !== 'links') {
    if (options.profile !== 'storm' && options.profile !== 'tasks')
      throw new LoadOptionError(`--fault is for the storm and tasks profiles, not ${options.profile}`);
    const instances = lab.serviceGroup(CLOUD_GROUP).length;
    if (instances < 2)
      throw new LoadOptionError(
        `--fault instance kills a cloud instance, and this lab runs ${instances}: pnpm lab down && pnpm lab up --cloud-instances 2`,
      );
  }
  const tlsResumption = options.tlsResumption ?? false;
  if (tlsResumption && !TLS_RESUMING_PROFILES.includes(options.profile))
    throw new LoadOptionError(
      `--tls-resumption is for the ${TLS_RESUMING_PROFILES.join(' and ')} profiles, not ${options.profile}`,
    );
  const hosts = lab.hostsByRole('desktop').map((h) => h.id);
  if (hosts.length === 0) throw new LoadOptionError('the lab has no site desktop host to run workers in');

  const startedAt = Date.now();
  const runId = `${new Date(startedAt).toISOString().replace(/[:.]/g, '-')}-${options.profile}`;
  const deadline = startedAt + durationS * 1000;
  const metrics = new Metrics();
  const series: Omit<LoadResults['series'], 'cloud'> = { t: [], connected: [] };
  const marks: LoadResults['marks'] = [];
  const mark = (name: string) => marks.push({ name, t: Date.now() - startedAt });
  const share = shareOut(clients, hosts);
  progress(
    `${options.profile}: ${clients} ${CLIENTS_ARE[options.profile]}, workers in ${share.map((w) => `${w.host} (${w.clients})`).join(', ')}, at most ${durationS} s`,
  );
  const sampler = new CloudSampler(lab, startedAt);
  const baseline = await sampler.read();
  sampler.start();
  const workers: LoadWorker[] = [];
  /** workers that ended without answering with their metrics */
  const lost: string[] = [];
  const faults: Fault[] = [];
  const ticker = setInterval(() => {
    series.t.push(Date.now() - startedAt);
    series.connected.push(sum(workers, 'connected'));
  }, TICK_MS);
  let lastReport = 0;
  const run: RunContext = {
    lab,
    workers,
    metrics,
    sampler,
    baseline,
    clients,
    deadline,
    outageMs,
    fault,
    tlsResumption,
    faults,
    progress,
    report: (text) => {
      if (Date.now() - lastReport < 2_000) return;
      lastReport = Date.now();
      progress(text);
    },
    mark,
  };
  try {
    workers.push(...(await Promise.all(share.map((w) => startWorker(lab, w.host, w.clients)))));
    await DRIVES[options.profile].drive(run);
  } finally {
    clearInterval(ticker);
    sampler.stop();
    for (const f of faults) await f.heal().catch(() => undefined);
    // every worker is told at once; one that cannot answer is ended, and the run says so
    const stopped = await Promise.allSettled(workers.map((w) => w.stop(120_000)));
    for (const [i, outcome] of stopped.entries()) {
      if (outcome.status === 'fulfilled') metrics.merge(outcome.value);
      else {
        lost.push(`${workers[i]!.host}: ${String(outcome.reason)}`);
        await workers[i]!.handle.stop(5_000);
      }
    }
  }
  if (lost.length > 0) throw new Error(`workers ended without their metrics (${lost.join('; ')})`);
  DRIVES[options.profile].conclude?.(run);

  const outcomes = thresholds.map((t) => judgeThreshold(t, metrics));
  const results: LoadResults = {
    runId,
    profile: options.profile,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date().toISOString(),
    driver: lab.driver.name,
    options: { clients, durationS, workers: share, fault, tlsResumption },
    metrics: metrics.summary(),
    // every histogram the run recorded, plotted by percentile
    percentiles: Object.fromEntries(
      Object.keys(metrics.summary().histograms).map((name) => [
        name,
        PLOTTED_PERCENTILES.map((p): [number, number] => [p, metrics.percentile(name, p)!]),
      ]),
    ),
    series: { ...series, cloud: sampler.samples },
    marks,
    thresholds: outcomes,
    passed: outcomes.every((o) => o.passed),
  };
  const runDir = await writeLoadReport(options.reportsDir, results);
  return { results, runDir };
}
