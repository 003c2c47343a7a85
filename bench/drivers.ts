/**
 * `node bench/drivers.ts [--rounds N] [--suite] [--images-from-nothing]` (root, a Docker daemon):
 * the netns and docker drivers side by side in one run, on the same machine and topology.
 *   - lab up to all-healthy and lab down, each driver in turn, `rounds` times (after one warm-up
 *     round each that is not counted), with the docker images already built;
 *   - with --suite: the whole scenario suite once on each, and the ratio docker / netns;
 *   - with --images-from-nothing: the docker images rebuilt from nothing first (what a new user
 *     waits for once), timed and sized.
 * Each lab has its own prefix and temporary state folder. Numbers and ratios, never pass/fail.
 * Writes reports/bench/drivers.json and prints Markdown tables.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DESKTOPS, type Lab, startLab } from '@multiclaw-lab/core';
import { dockerDriver, ensureLabImages, teardownDockerLab } from '@multiclaw-lab/docker';
import { type DriverFactory, netnsDriver, teardownByPrefix } from '@multiclaw-lab/network';
import { ScenarioRunner } from '../scenarios/src/runner.ts';
import { SUITE } from '../scenarios/src/suite.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    suite: { type: 'boolean', default: false },
    'images-from-nothing': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  console.error('--rounds takes 1 to 10');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('the netns side needs root: sudo node bench/drivers.ts');
  process.exit(2);
}

const DRIVERS: Record<'netns' | 'docker', DriverFactory> = { netns: netnsDriver, docker: dockerDriver };
type Side = keyof typeof DRIVERS;
const say = (text: string) => console.error(`[bench] ${text}`);

let images: Awaited<ReturnType<typeof ensureLabImages>> | undefined;
if (values['images-from-nothing']) {
  say('building the docker images from nothing');
  images = await ensureLabImages({ force: true, onProgress: (line) => say(`  ${line}`) });
} else {
  images = await ensureLabImages({ onProgress: (line) => say(`  ${line}`) });
}

/** a lab on `side`, with a cleanup that also runs when this script dies half-way */
async function withLab<T>(side: Side, prefix: string, work: (lab: Lab, upMs: number) => Promise<T>): Promise<T> {
  const stateDir = await mkdtemp(join(tmpdir(), `mclab-bench-${side}-`));
  await chmod(stateDir, 0o755);
  const reap = () =>
    side === 'docker'
      ? teardownDockerLab(prefix, { stateDir }).then(() => undefined)
      : teardownByPrefix(prefix, { stateDir }).then(() => undefined);
  const onCrash = () => void reap().finally(() => process.exit(1));
  process.once('uncaughtException', onCrash);
  try {
    const t0 = performance.now();
    const lab = await startLab({ prefix, stateDir, driver: DRIVERS[side], desktops: DEFAULT_DESKTOPS });
    const upMs = performance.now() - t0;
    try {
      return await work(lab, upMs);
    } finally {
      await lab.down();
    }
  } finally {
    process.off('uncaughtException', onCrash);
    await rm(stateDir, { recursive: true, force: true });
  }
}

const lifecycle: Record<Side, { upMs: number; downMs: number }[]> = { netns: [], docker: [] };
for (let round = 0; round <= rounds; round++) {
  for (const side of ['netns', 'docker'] as Side[]) {
    let downStarted = 0;
    const upMs = await withLab(side, `b${side[0]}${round}${process.pid % 100}`, async (lab, up) => {
      const unhealthy = (await lab.status()).services.filter((s) => !s.healthy);
      if (unhealthy.length > 0) throw new Error(`${side}: not all healthy: ${unhealthy.map((s) => s.id).join(', ')}`);
      downStarted = performance.now();
      return up;
    });
    const downMs = performance.now() - downStarted;
    if (round > 0) lifecycle[side].push({ upMs: Math.round(upMs), downMs: Math.round(downMs) });
    say(`round ${round}${round === 0 ? ' (warm-up)' : ''} ${side}: up ${Math.round(upMs)} ms, down ${Math.round(downMs)} ms`);
  }
}

const suite: Partial<Record<Side, { ms: number; passed: number; failed: number; skipped: number }>> = {};
if (values.suite) {
  for (const side of ['netns', 'docker'] as Side[]) {
    say(`the whole suite on ${side}`);
    suite[side] = await withLab(side, `bs${side[0]}${process.pid % 100}`, async (lab) => {
      const runner = await ScenarioRunner.create(lab, { onProgress: (t) => say(`  ${side}: ${t}`) });
      const t0 = performance.now();
      for (const scenario of SUITE) await runner.run(scenario);
      const ms = Math.round(performance.now() - t0);
      const count = (status: string) => runner.results.filter((r) => r.status === status).length;
      return { ms, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
    });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const up = (side: Side) => median(lifecycle[side].map((r) => r.upMs));
const down = (side: Side) => median(lifecycle[side].map((r) => r.downMs));
const machine = `${cpus().length} cores, ${execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()}, Node ${process.version}`;
const lines = [
  `${new Date().toISOString().slice(0, 10)}, ${machine}; 1 site, ${DEFAULT_DESKTOPS} desktop hosts, images built`,
  '',
  '| | netns | docker | docker / netns |',
  '|---|---:|---:|---:|',
  `| lab up to all-healthy (median of ${rounds}) | ${up('netns')} ms | ${up('docker')} ms | ${(up('docker') / up('netns')).toFixed(2)} |`,
  `| lab down (median of ${rounds}) | ${down('netns')} ms | ${down('docker')} ms | ${(down('docker') / down('netns')).toFixed(2)} |`,
];
if (suite.netns && suite.docker) {
  const s = (x: NonNullable<typeof suite.netns>) =>
    `${(x.ms / 1000).toFixed(0)} s (${x.passed} passed, ${x.failed} failed, ${x.skipped} skipped)`;
  lines.push(`| the whole suite | ${s(suite.netns)} | ${s(suite.docker)} | ${(suite.docker.ms / suite.netns.ms).toFixed(2)} |`);
}
if (images) {
  lines.push('', '| image | built now | seconds | size |', '|---|---|---:|---:|');
  for (const i of [images.base, images.host])
    lines.push(
      `| ${i.name} | ${i.built ? 'yes' : 'no (cached)'} | ${i.seconds.toFixed(1)} | ${Math.round(i.sizeBytes / 1e6)} MB |`,
    );
}
await mkdir('reports/bench', { recursive: true });
await writeFile(
  'reports/bench/drivers.json',
  `${JSON.stringify({ date: new Date().toISOString(), machine, rounds, lifecycle, suite, images }, null, 2)}\n`,
);
console.log(lines.join('\n'));
