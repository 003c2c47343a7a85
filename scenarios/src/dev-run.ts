/**
 * For scenario authors: `node scenarios/src/dev-run.ts scenarios/src/scenarios/s05-….ts [more…]`
 * starts a fresh lab (root), runs just those scenario files, prints each result with its error
 * and the last timeline entries, runs the canary scan over what they planted, and takes the lab
 * down again (also on Ctrl-C). LAB_CLOUD_INSTANCES=N runs the cloud as N instances behind the
 * load balancer.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startLab } from '@multiclaw-lab/core';
import type { ScenarioDefinition } from './define.ts';
import { ScenarioRunner } from './runner.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scenarios/src/dev-run.ts <scenario file>...');
  process.exit(2);
}
const defs: ScenarioDefinition[] = [];
for (const f of files) defs.push((await import(pathToFileURL(resolve(f)).href)).default as ScenarioDefinition);

const stateDir = await mkdtemp(join(tmpdir(), 'mclab-dev-'));
await chmod(stateDir, 0o755);
const t0 = Date.now();
const lab = await startLab({
  prefix: `d${randomBytes(3).toString('hex')}`,
  stateDir,
  desktops: 3,
  cloudInstances: Number(process.env.LAB_CLOUD_INSTANCES ?? 1),
  onProgress: (p) => console.error(`[lab ${((Date.now() - t0) / 1000).toFixed(1)}s] ${p.phase}: ${p.detail}`),
});
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await lab.down();
};
process.once('SIGINT', () => void stop().then(() => process.exit(130)));
let failed = 0;
try {
  const runner = await ScenarioRunner.create(lab, { onProgress: (t) => console.error(`[run] ${t}`) });
  for (const def of defs) {
    const r = await runner.run(def);
    console.log(`\n${r.status.toUpperCase()} ${r.id} (${r.durationMs} ms, seed ${r.seed})`);
    if (r.error) console.log(r.error.stack ?? r.error.message);
    for (const m of r.metrics) console.log(`  metric ${m.name}: ${m.value} ${m.unit}`);
    if (r.status === 'failed') {
      failed++;
      console.log('  last timeline entries:');
      for (const e of r.timeline.slice(-25))
        console.log(`   ${e.time} ${e.source} ${e.event} ${JSON.stringify(e.fields).slice(0, 200)}`);
    }
  }
  const canary = (await import('./canary.ts')).scanForSecrets;
  const scan = await canary(runner.planted, [lab.stateDir, runner.evidenceDir], runner.allowedIn);
  console.log(`\ncanary: ${scan.planted} planted, ${scan.filesScanned} files scanned, ${scan.hits.length} hits`);
  for (const h of scan.hits) console.log(`  HIT ${h.label} in ${h.file}`);
  if (scan.hits.length > 0) failed++;
} finally {
  await stop();
}
process.exit(failed > 0 ? 1 : 0);
