/**
 * `lab load <profile>` on a running lab: accounts made through the cloud's API, one worker per
 * site desktop host holding its share of the sessions, the cloud's CPU and memory sampled from
 * its host, the profile's fault (if any) proven to take effect and healed, then every worker's
 * metrics merged, every threshold judged, and the results written. Every run is bounded in
 * sessions and time and stops by itself.
 */
import { randomBytes } from 'node:crypto';
import type { Lab } from '@multiclaw-lab/core';
import { LabError } from '@multiclaw-lab/kit';
import { type Fault, PUBLIC_NAMES } from '@multiclaw-lab/network';
import { signUpAndIn } from '@multiclaw-lab/protocol';
import { CloudSampler } from './coordinator/cloud-sampler.ts';
import { type LoadWorker, shareOut, startWorker } from './coordinator/workers.ts';
import { Metrics } from './metrics.ts';
import { PROFILES, type ProfileName } from './profiles.ts';
import { type LoadResults, PLOTTED_PERCENTILES, writeLoadReport } from './report/results.ts';
import { judgeThreshold, parseThreshold } from './thresholds.ts';

export interface LoadOptions {
  profile: ProfileName;
  clients?: number;
  durationS?: number;
  /** storm: how long the links stay cut once every session dropped (default 5 s) */
  outageS?: number;
  /** more thresholds, besides the profile's own */
  thresholds?: string[];
  /** reports/load/<run-id>/ goes under it */
  reportsDir: string;
  onProgress?: (text: string) => void;
}

/** How many sessions share one account (one sign-in per account: bcrypt is the cloud's slowest call). */
const SESSIONS_PER_ACCOUNT = 100;
/** sessions each worker opens at once (TLS handshakes are the cloud's bottleneck) */
const CONNECT_CONCURRENCY = 8;
const TICK_MS = 250;

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

async function makeBearers(lab: Lab, runId: string, count: number): Promise<string[]> {
  const bearers: string[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, (_, j) =>
      signUpAndIn(lab.api, {
        email: `load-${runId}-${i + j}@multiclaw.test`,
        password: `pw-${randomBytes(12).toString('base64url')}`,
        name: `load ${i + j}`,
      }),
    );
    for (const { bearer } of await Promise.all(batch)) bearers.push(bearer);
  }
  return bearers;
}

/** Polls the workers' latest progress until `done` holds; false when `deadline` came first. */
async function until(workers: LoadWorker[], done: (w: LoadWorker[]) => boolean, deadline: number): Promise<boolean> {
  while (!done(workers)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  return true;
}

const sum = (workers: LoadWorker[], key: 'opened' | 'connected' | 'failed' | 'back') =>
  workers.reduce((n, w) => n + w.latest[key], 0);

export async function runLoad(lab: Lab, options: LoadOptions): Promise<{ results: LoadResults; runDir: string }> {
  const profile = PROFILES[options.profile];
  const clients = bounded('--clients', options.clients ?? profile.defaults.clients, profile.limits.clients);
  const durationS = bounded('--duration', options.durationS ?? profile.defaults.durationS, profile.limits.durationS);
  // every threshold is read before anything starts: a typo costs nothing
  const thresholds = [...profile.thresholds(clients), ...(options.thresholds ?? [])].map(parseThreshold);
  const progress = options.onProgress ?? (() => undefined);
  const outageMs = (options.outageS ?? 5) * 1000;
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
    `${options.profile}: ${clients} sessions from ${share.map((w) => `${w.host} (${w.clients})`).join(', ')}, at most ${durationS} s`,
  );
  const bearers = await makeBearers(lab, randomBytes(3).toString('hex'), Math.ceil(clients / SESSIONS_PER_ACCOUNT));
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
  const report = (text: string) => {
    if (Date.now() - lastReport < 2_000) return;
    lastReport = Date.now();
    progress(text);
  };
  try {
    workers.push(...(await Promise.all(share.map((w) => startWorker(lab, w.host, w.clients)))));
    for (const w of workers)
      w.start(
        { cloudUrl: `https://${PUBLIC_NAMES.api}`, bearers, clients: w.clients, connectConcurrency: CONNECT_CONCURRENCY },
        durationS * 1000 + 60_000,
      );
    // a session that cannot connect keeps trying (as the app does): the time limit ends that
    await until(
      workers,
      (ws) => {
        report(`opening: ${sum(ws, 'connected')}/${clients} connected, ${sum(ws, 'failed')} refused`);
        return ws.every((w) => w.triedAll);
      },
      deadline,
    );
    mark('opened');
    const opened = sum(workers, 'connected');
    progress(`${opened} of ${clients} sessions open`);

    if (options.profile === 'sessions') {
      // held until the time is up
      await until(
        workers,
        (ws) => {
          report(`holding ${sum(ws, 'connected')} sessions`);
          return false;
        },
        deadline,
      );
      const held = sum(workers, 'connected');
      const hold = await sampler.read();
      metrics.set('sessions_held', held);
      metrics.add('sessions_lost', Math.max(0, opened - held));
      if (held > 0) metrics.set('rss_per_session_kib', Math.round(((hold.rssKib - baseline.rssKib) / held) * 10) / 10);
      metrics.set('cloud_rss_mib', Math.round(hold.rssKib / 102.4) / 10);
    } else {
      progress(`storm: cutting the link of ${lab.topology.sites.map((s) => s.id).join(', ')} (toxiproxy down)`);
      mark('cut');
      for (const site of lab.topology.sites) faults.push(await lab.linkFault(site.id, 'down'));
      // the cut must show before it is healed: every session dropped
      const cut = await until(workers, (ws) => sum(ws, 'connected') === 0, Math.min(deadline, Date.now() + 60_000));
      if (!cut) throw new Error(`the cut did not take effect: ${sum(workers, 'connected')} sessions stayed connected`);
      // the outage lasts a while, as a real one does: the apps' backoff grows meanwhile
      await new Promise((resolve) => setTimeout(resolve, Math.min(outageMs, Math.max(0, deadline - Date.now()))));
      // marked before the heal: a session welcomed after the mark came back after the heal
      await Promise.all(workers.map((w) => w.mark('heal')));
      for (const f of faults.splice(0)) await f.heal();
      mark('heal');
      progress('storm: healed; waiting for every session to come back');
      await until(
        workers,
        (ws) => {
          report(`back: ${sum(ws, 'back')}/${opened}`);
          return sum(ws, 'back') >= opened;
        },
        deadline,
      );
      mark('settled');
      metrics.add('sessions_not_back', Math.max(0, opened - sum(workers, 'back')));
    }
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
  // a session never welcomed failed, whatever kept it out (refused, or still trying at the end)
  metrics.add('sessions_failed', clients - (metrics.summary().counters.sessions_opened ?? 0));
  if (options.profile === 'storm') {
    const back = metrics.summary().histograms.back_after_heal_ms;
    if (back) metrics.set('settle_ms', back.max);
  }

  const outcomes = thresholds.map((t) => judgeThreshold(t, metrics));
  const results: LoadResults = {
    runId,
    profile: options.profile,
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: new Date().toISOString(),
    driver: lab.driver.name,
    options: { clients, durationS, workers: share },
    metrics: metrics.summary(),
    percentiles: Object.fromEntries(
      ['connect_ms', 'reconnect_ms', 'back_after_heal_ms']
        .filter((name) => metrics.kindOf(name) === 'histogram')
        .map((name) => [name, PLOTTED_PERCENTILES.map((p): [number, number] => [p, metrics.percentile(name, p)!])]),
    ),
    series: { ...series, cloud: sampler.samples },
    marks,
    thresholds: outcomes,
    passed: outcomes.every((o) => o.passed),
  };
  const runDir = await writeLoadReport(options.reportsDir, results);
  return { results, runDir };
}
