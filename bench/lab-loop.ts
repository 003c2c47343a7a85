/**
 * `node bench/lab-loop.ts [--rounds N] [--suite] [--baseline DIR] [--no-warmup] [--prefix P] [--baseline-prefix P]`
 * (root): the everyday loop, timed through the lab's own command line as a person runs it —
 * `lab up` until every service is healthy, with --suite `lab run` of every scenario on that lab,
 * then `lab down`. With --baseline DIR the same loop is timed on another checkout of this
 * repository (for example the last commit, unpacked with `git archive HEAD | tar -x -C DIR` and
 * given this checkout's node_modules), the two checkouts taking turns round by round so that both
 * see the same load on the machine. Each checkout has its own lab prefix and state folder; the
 * default `mcl` lab is never touched. Each checkout's command line runs as its `pnpm lab` script
 * does, without pnpm itself (about half a second more for either). Numbers, never pass/fail.
 * Writes reports/bench/lab-loop.json and prints Markdown tables of the medians.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    suite: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    warmup: { type: 'boolean', default: true },
    prefix: { type: 'string', default: 'bloop' },
    'baseline-prefix': { type: 'string', default: 'bloopb' },
  },
  allowNegative: true,
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error('--rounds takes 1 to 20');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('the lab needs root: sudo node bench/lab-loop.ts');
  process.exit(2);
}

interface Checkout {
  label: 'current' | 'baseline';
  root: string;
  prefix: string;
  stateDir: string;
  reportsDir: string;
}
const checkout = (label: Checkout['label'], root: string, prefix: string): Checkout => ({
  label,
  root,
  prefix,
  stateDir: join(tmpdir(), `${prefix}-state`),
  reportsDir: join(tmpdir(), `${prefix}-reports`),
});
const checkouts: Checkout[] = [
  checkout('current', resolve(import.meta.dirname, '..'), values.prefix),
  ...(values.baseline ? [checkout('baseline', resolve(values.baseline), values['baseline-prefix'])] : []),
];
/**
 * What `pnpm lab` runs in a checkout (its package.json), without the readiness check in front:
 * that check is not part of the loop being timed, and in a copy of the repository it would start
 * a bootstrap.
 */
function labCommand(root: string): string {
  const manifest = join(root, 'package.json');
  const script = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> }).scripts?.lab
    : undefined;
  const command = script?.replace(/^sh scripts\/ready\.sh && /, '');
  const entry = command && /\bnode (\S+)/.exec(command)?.[1];
  if (!command || !entry || !existsSync(join(root, entry))) {
    console.error(`${root}: its package.json has no "lab" script starting a file that exists`);
    process.exit(2);
  }
  return command;
}
const commands = new Map(checkouts.map((c) => [c.label, labCommand(c.root)]));

/** Runs the lab's command line of a checkout; resolves with its exit code, output and wall time. */
function lab(c: Checkout, args: string[]): Promise<{ code: number; ms: number; output: string; stdout: string }> {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn('sh', ['-c', `${commands.get(c.label)} "$@"`, 'lab', ...args], {
      cwd: c.root,
      env: { ...process.env, LAB_PREFIX: c.prefix, LAB_STATE_DIR: c.stateDir, LAB_REPORTS_DIR: c.reportsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d;
    });
    child.on('close', (code) => done({ code: code ?? 1, ms: Math.round(performance.now() - started), output, stdout }));
  });
}

interface SuiteRun {
  ms: number;
  passed: number;
  failed: number;
  skipped: number;
  scenarios: Record<string, number>;
}
interface Round {
  checkout: Checkout['label'];
  round: number;
  upMs: number;
  downMs: number;
  /** the machine's 1-minute load average when the round began (other work shares the cores) */
  load: number;
  services: Record<string, number>;
  suite?: SuiteRun;
}

async function suiteRun(c: Checkout): Promise<SuiteRun> {
  const run = await lab(c, ['run']);
  const html = /report: (\S+)index\.html/.exec(run.output)?.[1];
  if (!html) throw new Error(`${c.label}: lab run printed no report (exit ${run.code}):\n${run.output.slice(-2000)}`);
  const results = JSON.parse(await readFile(join(html, 'results.json'), 'utf8')) as {
    scenarios: Array<{ id: string; status: string; durationMs: number }>;
  };
  const count = (status: string) => results.scenarios.filter((s) => s.status === status).length;
  return {
    ms: run.ms,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    scenarios: Object.fromEntries(results.scenarios.map((s) => [s.id, s.durationMs])),
  };
}

async function oneRound(c: Checkout, round: number): Promise<Round> {
  const load = Math.round(loadavg()[0]! * 100) / 100;
  // a lab left up by an interrupted run is taken down first (harmless when there is none)
  await lab(c, ['down']);
  const up = await lab(c, ['up']);
  if (up.code !== 0) throw new Error(`${c.label}: lab up failed (exit ${up.code}):\n${up.output.slice(-2000)}`);
  const status = await lab(c, ['status', '--json']);
  const services = Object.fromEntries(
    (JSON.parse(status.stdout) as { services: Array<{ id: string; startMs: number }> }).services.map((s) => [s.id, s.startMs]),
  );
  const suite = values.suite ? await suiteRun(c) : undefined;
  const down = await lab(c, ['down']);
  console.error(
    `[bench] round ${round}, ${c.label} (load ${load}): up ${up.ms} ms${suite ? `, suite ${suite.ms} ms (${suite.passed} passed, ${suite.failed} failed)` : ''}, down ${down.ms} ms`,
  );
  return { checkout: c.label, round, upMs: up.ms, downMs: down.ms, load, services, ...(suite ? { suite } : {}) };
}

const results: Round[] = [];
try {
  // one untimed up and down each first, so that what a first run makes once (bundles, caches,
  // the PostgreSQL template) is there, as on the machine of someone who works with the lab daily
  if (values.warmup)
    for (const c of checkouts) {
      await lab(c, ['down']);
      const up = await lab(c, ['up']);
      const down = await lab(c, ['down']);
      console.error(`[bench] warm-up, ${c.label}: up ${up.ms} ms (exit ${up.code}), down ${down.ms} ms`);
    }
  for (let round = 1; round <= rounds; round++) {
    // take turns starting first, so neither always runs right after the other's teardown
    const order = round % 2 === 1 ? checkouts : [...checkouts].reverse();
    for (const c of order) results.push(await oneRound(c, round));
  }
} finally {
  for (const c of checkouts) {
    await lab(c, ['down']);
    await rm(c.stateDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const of = (label: Checkout['label']) => results.filter((r) => r.checkout === label);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const labels = checkouts.map((c) => c.label);
const lines = [
  `| | ${labels.join(' | ')} |`,
  `|---|${labels.map(() => '---:').join('|')}|`,
  `| lab up, to all healthy (median of ${rounds}) | ${labels.map((l) => seconds(median(of(l).map((r) => r.upMs)))).join(' | ')} |`,
  `| lab up, each round | ${labels
    .map((l) =>
      of(l)
        .map((r) => seconds(r.upMs))
        .join(', '),
    )
    .join(' | ')} |`,
  `| lab down (median) | ${labels.map((l) => seconds(median(of(l).map((r) => r.downMs)))).join(' | ')} |`,
];
if (values.suite) {
  lines.push(
    `| whole suite, lab run (median of ${rounds}) | ${labels.map((l) => seconds(median(of(l).map((r) => r.suite!.ms)))).join(' | ')} |`,
    `| whole suite, each round | ${labels
      .map((l) =>
        of(l)
          .map((r) => `${seconds(r.suite!.ms)} (${r.suite!.failed} failed)`)
          .join(', '),
      )
      .join(' | ')} |`,
  );
  const ids = [...new Set(results.flatMap((r) => Object.keys(r.suite!.scenarios)))].sort();
  lines.push('', `| scenario (median) | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---:').join('|')}|`);
  for (const id of ids) {
    const cell = (l: Checkout['label']) => {
      const xs = of(l).flatMap((r) => (r.suite!.scenarios[id] === undefined ? [] : [r.suite!.scenarios[id]!]));
      return xs.length ? seconds(median(xs)) : '–';
    };
    lines.push(`| ${id} | ${labels.map(cell).join(' | ')} |`);
  }
}
const ids = Object.keys(results[0]!.services);
lines.push('', `| service, start to ready (median) | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---:').join('|')}|`);
for (const id of ids)
  lines.push(`| ${id} | ${labels.map((l) => `${median(of(l).map((r) => r.services[id] ?? 0))} ms`).join(' | ')} |`);

await mkdir('reports/bench', { recursive: true });
await writeFile(
  'reports/bench/lab-loop.json',
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      checkouts: checkouts.map(({ label, root, prefix }) => ({ label, root, prefix })),
      rounds,
      warmup: values.warmup,
      suite: values.suite,
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(lines.join('\n'));
