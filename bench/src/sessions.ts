import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '@multiclaw-lab/kit';
import { createLabCA } from '@multiclaw-lab/pki';
import { type CloudMemory, startBenchCloud } from './cloud-child.ts';
import { CloudRest } from './cloud-rest.ts';
import { openFilesLimit } from './proc-status.ts';
import { openUserSession, type UserSession, untilPinged } from './user-session.ts';

export interface SessionsOptions {
  /** session counts to stop and measure at, ascending */
  steps: number[];
  /** never open more than this many sessions */
  max: number;
  /** the whole session bench (setup included) stops opening new sessions after this */
  timeLimitMs: number;
  /** the cloud's ping interval; only how long "stayed open" waits depends on it */
  heartbeatIntervalMs: number;
  /** sessions being opened at once (TLS handshake + upgrade + welcome) */
  concurrency: number;
  /** the cloud's log level */
  logLevel: string;
  progress: (message: string) => void;
}

export interface SessionStep {
  /** sessions asked for at this step */
  target: number;
  /** sessions that received their welcome, in total so far */
  opened: number;
  /** sessions whose account, token or WebSocket failed (refused, timed out, error) */
  failedToOpen: number;
  firstError: string | undefined;
  /** the time limit ran out during this step: fewer sessions than the target were tried */
  timeLimitHit: boolean;
  /** wall time to open this step's new sessions, and the rate */
  openMs: number;
  opensPerSecond: number;
  /** sessions still open after every one of them answered a heartbeat ping from the cloud */
  stillOpen: number;
  allOpen: boolean;
  /** close codes of the sessions that closed, code → count */
  closedCodes: Record<string, number>;
  before: CloudMemory;
  after: CloudMemory;
  /** (after − baseline) / opened */
  rssPerSessionBytes: number;
  heapPerSessionBytes: number;
  /** (after − before) / sessions opened in this step */
  marginalRssPerSessionBytes: number;
  marginalHeapPerSessionBytes: number;
}

export interface SessionsResult {
  heartbeatIntervalMs: number;
  concurrency: number;
  openFilesLimit: { bench: number | undefined; cloud: number | undefined };
  maxRequested: number;
  /** max after the open-files limits were applied */
  maxUsed: number;
  baseline: CloudMemory | undefined;
  steps: SessionStep[];
  /** why the bench stopped before the last step, if it did */
  stoppedBecause: string | undefined;
}

/** Headroom for the descriptors a process needs besides sessions (database pool, files, pipes). */
const FD_RESERVE = 256;
const OPEN_TIMEOUT_MS = 30_000;

/**
 * Concurrent authenticated WSS sessions the cloud holds: a real cloud process on a throwaway
 * PostgreSQL with a per-run CA; for every session a fresh account signs in (its own bearer,
 * as one desktop app would) and mints a user-channel token over REST; sessions are opened up
 * to each step, every one waiting for its `welcome`, then held until each has answered a
 * heartbeat ping, and the cloud's memory is read before and after.
 */
export async function benchSessions(options: SessionsOptions): Promise<SessionsResult> {
  const deadline = Date.now() + options.timeLimitMs;
  const log = options.progress;
  const benchLimit = await openFilesLimit('self');
  const result: SessionsResult = {
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    concurrency: options.concurrency,
    openFilesLimit: { bench: benchLimit, cloud: undefined },
    maxRequested: options.max,
    maxUsed: options.max,
    baseline: undefined,
    steps: [],
    stoppedBecause: undefined,
  };
  const capBy = (limit: number | undefined, who: string) => {
    if (limit !== undefined && result.maxUsed > limit - FD_RESERVE) {
      result.maxUsed = Math.max(0, limit - FD_RESERVE);
      log(`open-files limit of the ${who} (${limit}) caps the bench at ${result.maxUsed} sessions`);
    }
  };
  capBy(benchLimit, 'bench process (raise it with `ulimit -n` before running)');

  const dir = await mkdtemp(join(tmpdir(), 'mclab-bench-'));
  await using pg = await startPostgres();
  const databaseUrl = await pg.createDatabase('bench');
  const ca = await createLabCA();
  const leaf = await ca.issue(['localhost', '127.0.0.1']);
  const certFile = join(dir, 'cloud.crt');
  const keyFile = join(dir, 'cloud.key');
  await writeFile(certFile, leaf.certPem, { mode: 0o600 });
  await writeFile(keyFile, leaf.keyPem, { mode: 0o600 });

  const sessions: UserSession[] = [];
  const cloud = await startBenchCloud({
    databaseUrl,
    certFile,
    keyFile,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    logLevel: options.logLevel,
  });
  const rest = new CloudRest(cloud.url, ca.certPem);
  try {
    result.openFilesLimit.cloud = cloud.openFilesLimit;
    capBy(cloud.openFilesLimit, 'cloud process');
    log(`cloud pid ${cloud.pid} at ${cloud.url}`);

    for (const target of options.steps) {
      if (target > result.maxUsed) {
        result.stoppedBecause ??= `--max (${result.maxUsed}) reached`;
        break;
      }
      if (Date.now() > deadline) {
        result.stoppedBecause = 'time limit reached';
        break;
      }
      const step = await runStep(target, { sessions, cloud, rest, caPem: ca.certPem, deadline, options });
      result.baseline ??= step.before;
      const per = (bytes: number) => (step.opened ? bytes / step.opened : 0);
      step.rssPerSessionBytes = per(step.after.rssBytes - result.baseline.rssBytes);
      step.heapPerSessionBytes = per(step.after.heapUsedBytes - result.baseline.heapUsedBytes);
      result.steps.push(step);
      log(
        `${step.opened} sessions: opened in ${Math.round(step.openMs)} ms, ${step.stillOpen} still open, ` +
          `cloud RSS ${mib(step.after.rssBytes)} MiB, heap ${mib(step.after.heapUsedBytes)} MiB`,
      );
      if (step.failedToOpen > 0) result.stoppedBecause = `${step.failedToOpen} sessions failed to open: ${step.firstError}`;
      else if (!step.allOpen) result.stoppedBecause = `${step.opened - step.stillOpen} sessions closed while held`;
      else if (step.timeLimitHit) result.stoppedBecause = 'time limit reached';
      if (result.stoppedBecause) break;
    }
  } finally {
    for (const s of sessions) s.socket.terminate();
    await rest.close();
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

interface StepContext {
  sessions: UserSession[];
  cloud: Awaited<ReturnType<typeof startBenchCloud>>;
  rest: CloudRest;
  caPem: string;
  deadline: number;
  options: SessionsOptions;
}

async function runStep(target: number, ctx: StepContext): Promise<SessionStep> {
  const { sessions, cloud, rest, options } = ctx;
  const wanted = target - sessions.length;
  const run = `${process.pid}-${Date.now().toString(36)}`;

  // Fixtures first, outside the timed part: one account and bearer per session, one token each.
  const credentials = await inParallel(wanted, 8, ctx.deadline, async (i) => {
    const n = sessions.length + i;
    const bearer = await rest.newBearer(`bench-${run}-${n}@bench.multiclaw.test`, `bench-password-${n}`);
    return rest.userToken(bearer);
  });

  const before = await cloud.memory();
  const started = performance.now();
  const opened = await inParallel(credentials.ok.length, options.concurrency, ctx.deadline, (i) =>
    openUserSession(cloud.url, credentials.ok[i]!.path, credentials.ok[i]!.token, ctx.caPem, OPEN_TIMEOUT_MS),
  );
  const openMs = performance.now() - started;
  sessions.push(...opened.ok);

  // Held until every session has answered one more ping than it had: the cloud has run its
  // heartbeat over all of them, so "still open" means open past a liveness check.
  const pingsWanted = new Map(sessions.map((s) => [s, s.pings + 1]));
  const holdLimitMs = 3 * options.heartbeatIntervalMs + 10_000;
  await Promise.race([
    Promise.all(sessions.map((s) => untilPinged(s, pingsWanted.get(s)!))),
    new Promise((resolve) => setTimeout(resolve, holdLimitMs).unref()),
  ]);
  const after = await cloud.memory();

  const closedCodes: Record<string, number> = {};
  for (const s of sessions) {
    if (s.closedWith !== undefined) closedCodes[s.closedWith] = (closedCodes[s.closedWith] ?? 0) + 1;
  }
  const stillOpen = sessions.filter((s) => s.closedWith === undefined && s.socket.readyState === s.socket.OPEN).length;
  const newlyOpened = opened.ok.length;
  return {
    target,
    opened: sessions.length,
    failedToOpen: credentials.failed + opened.failed,
    firstError: credentials.firstError ?? opened.firstError,
    timeLimitHit: Date.now() > ctx.deadline,
    openMs,
    opensPerSecond: newlyOpened / (openMs / 1000),
    stillOpen,
    allOpen: stillOpen === sessions.length,
    closedCodes,
    before,
    after,
    rssPerSessionBytes: 0,
    heapPerSessionBytes: 0,
    marginalRssPerSessionBytes: newlyOpened ? (after.rssBytes - before.rssBytes) / newlyOpened : 0,
    marginalHeapPerSessionBytes: newlyOpened ? (after.heapUsedBytes - before.heapUsedBytes) / newlyOpened : 0,
  };
}

/**
 * Runs task(0..count-1) with at most `limit` in flight; stops starting new ones after
 * `deadline`. Results in index order; failures are counted, the first one kept.
 */
async function inParallel<T>(
  count: number,
  limit: number,
  deadline: number,
  task: (index: number) => Promise<T>,
): Promise<{ ok: T[]; failed: number; firstError: string | undefined }> {
  const results: (T | undefined)[] = new Array(count);
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < count && Date.now() <= deadline) {
      const index = next++;
      try {
        results[index] = await task(index);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return { ok: results.filter((r): r is T => r !== undefined), failed, firstError };
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
