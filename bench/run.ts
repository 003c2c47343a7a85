/**
 * `node bench/run.ts [--quick] [--max N] [--steps 100,500,…] [--time-limit SECONDS] [--only tokens|sessions]`
 *
 * Benchmarks of the reference cloud: WSS token verifications per second, and how many
 * concurrent authenticated WSS sessions one cloud process holds, with memory per session.
 * Writes reports/bench/latest.json and prints a Markdown summary on stdout (progress on
 * stderr). Reports numbers, never pass/fail on speed; exits non-zero only if a bench broke.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './src/machine.ts';
import { type BenchReport, markdown } from './src/report.ts';
import { benchSessions } from './src/sessions.ts';
import { benchTokenVerification } from './src/token-verify.ts';

const USAGE =
  'usage: node bench/run.ts [--quick] [--max N] [--steps 100,500,1000,2000] [--time-limit SECONDS] [--only tokens|sessions]';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    max: { type: 'string' },
    steps: { type: 'string' },
    'time-limit': { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    concurrency: { type: 'string' },
    only: { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${flag} must be a positive integer, got ${JSON.stringify(raw)}\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const quick = values.quick;
const max = positiveInt('max', values.max, quick ? 200 : 2000);
const steps = (values.steps ?? (quick ? '50,200' : '100,500,1000,2000'))
  .split(',')
  .map((s) => positiveInt('steps', s.trim(), 1))
  .sort((a, b) => a - b);
const timeLimitMs = positiveInt('time-limit', values['time-limit'], quick ? 120 : 600) * 1000;
const only = values.only;
if (only !== undefined && only !== 'tokens' && only !== 'sessions') {
  console.error(`--only takes tokens or sessions\n${USAGE}`);
  process.exit(2);
}

// Whatever happens, this run ends: a watchdog a minute past the time limit.
const watchdog = setTimeout(() => {
  console.error(`bench: still running ${timeLimitMs / 1000 + 60} s after start, giving up`);
  process.exit(3);
}, timeLimitMs + 60_000);
watchdog.unref();

const progress = (message: string) => console.error(`bench: ${message}`);
const started = performance.now();
const report: BenchReport = {
  machine: describeMachine(),
  quick,
  tokenVerification: undefined,
  sessions: undefined,
  durationMs: 0,
};

if (only !== 'sessions') {
  progress('token verification…');
  report.tokenVerification = await benchTokenVerification(quick ? { rounds: 3, roundMs: 300 } : { rounds: 7, roundMs: 1_000 });
}
if (only !== 'tokens') {
  progress(`sessions: steps ${steps.filter((s) => s <= max).join(', ')} (max ${max}, time limit ${timeLimitMs / 1000} s)…`);
  report.sessions = await benchSessions({
    steps: steps.filter((s) => s <= max),
    max,
    timeLimitMs,
    heartbeatIntervalMs: positiveInt('heartbeat-ms', values['heartbeat-ms'], quick ? 2_000 : 5_000),
    concurrency: positiveInt('concurrency', values.concurrency, 50),
    logLevel: values['log-level'] ?? 'info',
    progress,
  });
}
report.durationMs = performance.now() - started;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'reports', 'bench');
await mkdir(outDir, { recursive: true });
const outFile = join(outDir, 'latest.json');
await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(markdown(report));
progress(`wrote ${relative(process.cwd(), outFile) || outFile} in ${Math.round(report.durationMs / 1000)} s`);
