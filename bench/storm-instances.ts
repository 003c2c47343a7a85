/**
 * `node bench/storm-instances.ts [--clients 200,2000] [--instances 1,2] [--tls-resumption off,on]
 * [--outage S] [--fault links|instance]` (root): the same `storm` load runs (one per client count
 * and TLS resumption setting) on a fresh netns lab per cloud size, one after the other in one run,
 * on the same machine and topology — how long a storm takes to settle with the cloud as one
 * process and as several behind HAProxy, with the apps making full TLS handshakes or resuming
 * their sessions, and the ratios. `--fault instance` kills a cloud instance instead of cutting the
 * links (cloud sizes of 2 or more): each dropped client finds the others at once, so its
 * reconnect latency is that of a single healed drop. Each lab has its own prefix and temporary
 * state folder and is taken down after its runs. Numbers and ratios, never pass/fail: a storm that
 * did not settle is reported as such, and so is the CPU time the hypervisor stole meanwhile (on a
 * shared VM it moves these numbers more than anything the lab does). Writes
 * reports/bench/storm-instances.json and prints a Markdown table.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Lab, startLab } from '@multiclaw-lab/core';
import { type MachineCpuTime, parseProcStatMachine } from '@multiclaw-lab/kit';
import { isStormFault, type LoadResults, runLoad, type StormFault } from '@multiclaw-lab/load';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200,2000' },
    instances: { type: 'string', default: '1,2' },
    'tls-resumption': { type: 'string', default: 'off,on' },
    outage: { type: 'string', default: '5' },
    fault: { type: 'string', default: 'links' },
    duration: { type: 'string', default: '300' },
  },
});
const counts = values.clients.split(',').map(Number);
const sizes = values.instances.split(',').map(Number);
const resumptions = values['tls-resumption'].split(',');
if (
  counts.some((c) => !Number.isInteger(c) || c < 1 || c > 25_000) ||
  sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 8) ||
  resumptions.some((r) => r !== 'off' && r !== 'on') ||
  !isStormFault(values.fault) ||
  (values.fault === 'instance' && sizes.some((n) => n < 2))
) {
  console.error(
    '--clients takes a list of 1 to 25000, --instances a list of 1 to 8 (2 or more with --fault instance), --tls-resumption a list of off and on, --fault links or instance',
  );
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('the netns lab needs root: sudo node bench/storm-instances.ts');
  process.exit(2);
}

const REPORTS = join(import.meta.dirname, '..', 'reports');

interface Row {
  clients: number;
  cloudInstances: number;
  tlsResumption: boolean;
  /** handshakes after the heal that resumed a session, of all the run made */
  tlsResumed: number;
  settled: boolean;
  settleMs: number | undefined;
  backAfterHeal: { p50: number; p99: number } | undefined;
  reconnectP99Ms: number | undefined;
  sessionsNotBack: number | undefined;
  cloudCpuPeakPercent: number;
  /** of the machine's CPU time during the run, the share the hypervisor gave to others */
  stealPercent: number;
  runDir: string;
}

const machineCpu = async (): Promise<MachineCpuTime> => parseProcStatMachine(await readFile('/proc/stat', 'utf8'));

/** A metric of the run by name, whatever its kind. */
const metric = (r: LoadResults, name: string): number | undefined => r.metrics.gauges[name] ?? r.metrics.counters[name];

async function storm(lab: Lab, cloudInstances: number, clients: number, tlsResumption: boolean): Promise<Row> {
  const label = `cloud of ${cloudInstances}, ${clients} sessions, TLS resumption ${tlsResumption ? 'on' : 'off'}`;
  const cpuBefore = await machineCpu();
  const { results, runDir } = await runLoad(lab, {
    profile: 'storm',
    clients,
    durationS: Number(values.duration),
    outageS: Number(values.outage),
    fault: values.fault as StormFault,
    tlsResumption,
    reportsDir: join(REPORTS, 'load'),
    onProgress: (text) => console.error(`[bench] ${label}: ${text}`),
  });
  const cpuAfter = await machineCpu();
  const stolen = cpuAfter.stealSeconds - cpuBefore.stealSeconds;
  const back = results.metrics.histograms.back_after_heal_ms;
  const notBack = metric(results, 'sessions_not_back');
  return {
    clients,
    cloudInstances,
    tlsResumption,
    tlsResumed: metric(results, 'tls_resumed') ?? 0,
    settled: notBack === 0,
    settleMs: metric(results, 'settle_ms'),
    backAfterHeal: back ? { p50: back.p50, p99: back.p99 } : undefined,
    reconnectP99Ms: results.metrics.histograms.reconnect_ms?.p99,
    sessionsNotBack: notBack,
    cloudCpuPeakPercent: Math.max(0, ...results.series.cloud.map((s) => s.cpuPercent)),
    stealPercent: (100 * stolen) / Math.max(1e-9, cpuAfter.totalSeconds - cpuBefore.totalSeconds),
    runDir,
  };
}

async function onCloudOf(cloudInstances: number): Promise<Row[]> {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-bench-storm-'));
  await chmod(stateDir, 0o755);
  let lab: Lab | undefined;
  try {
    console.error(`[bench] cloud of ${cloudInstances}: lab up`);
    lab = await startLab({ prefix: `b${randomBytes(3).toString('hex')}`, stateDir, desktops: 3, cloudInstances });
    const rows: Row[] = [];
    for (const clients of counts) for (const r of resumptions) rows.push(await storm(lab, cloudInstances, clients, r === 'on'));
    return rows;
  } finally {
    await lab?.down();
    await rm(stateDir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const n of sizes) rows.push(...(await onCloudOf(n)));

/** settle time against the first row's at the same client count (first cloud size, first resumption setting) */
const ratio = (r: Row): string => {
  const base = rows.find((b) => b.clients === r.clients);
  return base?.settleMs && r.settleMs && base.settled && r.settled ? (r.settleMs / base.settleMs).toFixed(2) : '—';
};
const machine = { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
await mkdir(join(REPORTS, 'bench'), { recursive: true });
await writeFile(
  join(REPORTS, 'bench', 'storm-instances.json'),
  `${JSON.stringify({ at: new Date().toISOString(), machine, fault: values.fault, outageS: Number(values.outage), rows }, null, 2)}\n`,
);
const what = values.fault === 'instance' ? 'a cloud instance killed' : `the links cut, a ${values.outage} s outage`;
console.log(`storms with ${what}; ${machine.cpus} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n`);
console.log(
  '| sessions | cloud instances | TLS resumption (resumed) | settled | settle (ms after heal) | back after heal p50 / p99 (ms) | reconnect p99 (ms) | not back | cloud CPU peak (%, all instances) | CPU steal (%) | settle vs first |',
);
console.log('|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|');
// by client count, then cloud size, then resumption off before on
const order = (r: Row) => r.clients * 100 + r.cloudInstances * 2 + (r.tlsResumption ? 1 : 0);
for (const r of [...rows].sort((a, b) => order(a) - order(b))) {
  const back = r.backAfterHeal ? `${r.backAfterHeal.p50} / ${r.backAfterHeal.p99}` : '—';
  const resumption = r.tlsResumption ? `on (${r.tlsResumed})` : 'off';
  console.log(
    `| ${r.clients} | ${r.cloudInstances} | ${resumption} | ${r.settled ? 'yes' : 'no'} | ${r.settleMs ?? '—'} | ${back} | ${r.reconnectP99Ms ?? '—'} | ${r.sessionsNotBack ?? '—'} | ${r.cloudCpuPeakPercent.toFixed(0)} | ${r.stealPercent.toFixed(0)} | ${ratio(r)} |`,
  );
}
