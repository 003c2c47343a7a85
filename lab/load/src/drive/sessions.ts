/**
 * The sessions and storm profiles: every worker opens its share of the app's sessions; then
 * either they are held until the time is up (sessions), or every site's link is cut until each
 * session dropped, kept cut for the outage, and healed, and the run waits for every session to
 * come back (storm).
 */
import { randomBytes } from 'node:crypto';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { signUpAndIn } from '@multiclaw-lab/protocol';
import { type RunContext, sum, until } from './context.ts';
import { stormAndHeal } from './storm.ts';

/** How many sessions share one account (one sign-in per account: bcrypt is the cloud's slowest call). */
const SESSIONS_PER_ACCOUNT = 100;
/** sessions each worker opens at once (TLS handshakes are the cloud's bottleneck) */
const CONNECT_CONCURRENCY = 8;

async function makeBearers(run: RunContext, count: number): Promise<string[]> {
  const tag = randomBytes(3).toString('hex');
  const bearers: string[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, (_, j) =>
      signUpAndIn(run.lab.api, {
        email: `load-${tag}-${i + j}@multiclaw.test`,
        password: `pw-${randomBytes(12).toString('base64url')}`,
        name: `load ${i + j}`,
      }),
    );
    for (const { bearer } of await Promise.all(batch)) bearers.push(bearer);
  }
  return bearers;
}

/** Opens every session; answers how many were welcomed. */
async function open(run: RunContext): Promise<number> {
  const bearers = await makeBearers(run, Math.ceil(run.clients / SESSIONS_PER_ACCOUNT));
  for (const w of run.workers)
    w.start(
      {
        cloudUrl: `https://${PUBLIC_NAMES.api}`,
        bearers,
        clients: w.clients,
        connectConcurrency: CONNECT_CONCURRENCY,
        tlsResumption: run.tlsResumption,
      },
      run.deadline - Date.now() + 60_000,
    );
  // a session that cannot connect keeps trying (as the app does): the time limit ends that
  await until(
    run.workers,
    (ws) => {
      run.report(`opening: ${sum(ws, 'connected')}/${run.clients} connected, ${sum(ws, 'failed')} refused`);
      return ws.every((w) => w.triedAll);
    },
    run.deadline,
  );
  run.mark('opened');
  const opened = sum(run.workers, 'connected');
  run.progress(`${opened} of ${run.clients} sessions open`);
  return opened;
}

export async function driveSessions(run: RunContext): Promise<void> {
  const opened = await open(run);
  // held until the time is up
  await until(
    run.workers,
    (ws) => {
      run.report(`holding ${sum(ws, 'connected')} sessions`);
      return false;
    },
    run.deadline,
  );
  const held = sum(run.workers, 'connected');
  const hold = await run.sampler.read();
  run.metrics.set('sessions_held', held);
  run.metrics.add('sessions_lost', Math.max(0, opened - held));
  if (held > 0) run.metrics.set('rss_per_session_kib', Math.round(((hold.rssKib - run.baseline.rssKib) / held) * 10) / 10);
  run.metrics.set('cloud_rss_mib', Math.round(hold.rssKib / 102.4) / 10);
}

export async function driveStorm(run: RunContext): Promise<void> {
  await stormAndHeal(run, await open(run));
}

/** After the workers' metrics are merged: a session never welcomed failed; a storm's settling time. */
export function concludeSessions(run: Pick<RunContext, 'metrics' | 'clients'>): void {
  // whatever kept it out (refused, or still trying at the end)
  run.metrics.add('sessions_failed', run.clients - (run.metrics.summary().counters.sessions_opened ?? 0));
  // settled only when every session came back: the last one's return is the settling time
  const { histograms, counters } = run.metrics.summary();
  const back = histograms.back_after_heal_ms;
  if (back && (counters.sessions_not_back ?? 0) === 0) run.metrics.set('settle_ms', back.max);
}
