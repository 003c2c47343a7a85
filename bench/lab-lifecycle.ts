/**
 * `node bench/lab-lifecycle.ts [--rounds N] [--sites N] [--desktops N]` (root): how long `lab up`
 * and `lab down` take on the netns driver, cold (a fresh process after dropping the page cache)
 * and warm (again in the same process), and how long each service takes from spawn to ready.
 * The topology is what `pnpm lab up` builds unless told otherwise (1 site, DEFAULT_DESKTOPS
 * desktop hosts). Each round uses its own prefix (b…) and a temporary state folder, never the
 * `mcl` lab. Numbers, never pass/fail. Writes reports/bench/lab.json and prints Markdown tables.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_DESKTOPS, startLab, teardownLab } from '@multiclaw-lab/core';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    sites: { type: 'string', default: '1' },
    desktops: { type: 'string', default: String(DEFAULT_DESKTOPS) },
    'no-drop-caches': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const sites = Number(values.sites);
const desktops = Number(values.desktops);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) {
  console.error('--rounds takes 1 to 20');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('the netns driver needs root: sudo node bench/lab-lifecycle.ts');
  process.exit(2);
}

let droppedCaches = false;
if (!values['no-drop-caches']) {
  try {
    execFileSync('sync');
    await writeFile('/proc/sys/vm/drop_caches', '3\n');
    droppedCaches = true;
  } catch {
    droppedCaches = false;
  }
}

let topology = '';
interface Round {
  kind: 'cold' | 'warm';
  upMs: number;
  downMs: number;
  services: Record<string, number>;
}
const results: Round[] = [];
for (let i = 0; i < rounds + 1; i++) {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-bench-lab-'));
  await chmod(stateDir, 0o755);
  const t0 = performance.now();
  const prefix = `b${i}${process.pid % 1000}`;
  // a crash of this script must not leave a lab behind
  const cleanup = () => void teardownLab({ prefix, stateDir }).finally(() => process.exit(1));
  process.once('uncaughtException', cleanup);
  const lab = await startLab({ prefix, stateDir, sites, desktops });
  const upMs = performance.now() - t0;
  const status = await lab.status();
  topology = `${sites} site(s), ${desktops} desktop host(s) per site: ${status.hosts.length} hosts, ${status.services.length} services`;
  const t1 = performance.now();
  await lab.down();
  const downMs = performance.now() - t1;
  await rm(stateDir, { recursive: true, force: true });
  process.off('uncaughtException', cleanup);
  results.push({
    kind: i === 0 ? 'cold' : 'warm',
    upMs: Math.round(upMs),
    downMs: Math.round(downMs),
    services: Object.fromEntries(status.services.map((s) => [s.id, s.startMs])),
  });
  console.error(
    `[bench] round ${i + 1}/${rounds + 1} (${results.at(-1)!.kind}): up ${Math.round(upMs)} ms, down ${Math.round(downMs)} ms`,
  );
}

const warm = results.filter((r) => r.kind === 'warm');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines = [
  `${topology}`,
  '',
  `| | lab up | lab down |`,
  `|---|---:|---:|`,
  `| cold (fresh process${droppedCaches ? ', page cache dropped' : ''}) | ${results[0]!.upMs} ms | ${results[0]!.downMs} ms |`,
  `| warm (median of ${warm.length}) | ${median(warm.map((r) => r.upMs))} ms | ${median(warm.map((r) => r.downMs))} ms |`,
  '',
  `| service | start to ready, cold | warm (median) |`,
  `|---|---:|---:|`,
  ...Object.keys(results[0]!.services).map(
    (id) => `| ${id} | ${results[0]!.services[id]} ms | ${median(warm.map((r) => r.services[id] ?? 0))} ms |`,
  ),
];
await mkdir('reports/bench', { recursive: true });
await writeFile(
  'reports/bench/lab.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, topology, droppedCaches, results }, null, 2)}\n`,
);
console.log(lines.join('\n'));
