import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticDockerResults, syntheticResults } from './synthetic-results.ts';
import { writeReport } from './write-report.ts';

let tmp: string;
let reportsDir: string;
let sources: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mclab-report-'));
  reportsDir = join(tmp, 'reports');
  sources = join(tmp, 'sources');
  await mkdir(sources, { recursive: true });
  await writeFile(join(sources, 'desktop.log'), '{"event":"ws.closed"}\n');
  await writeFile(join(sources, 'S01-site.pcap'), 'pcap bytes');
  await writeFile(join(sources, 'database-dump.sql'), '-- dump');
});
afterEach(() => rm(tmp, { recursive: true, force: true }));

const write = (results = syntheticResults()) =>
  writeReport(results, {
    reportsDir,
    evidenceFrom: { 'desktop log': join(sources, 'desktop.log') },
    evidenceDir: sources,
  });

describe('writeReport', () => {
  it('writes junit.xml, results.json, index.html and summary.txt into reports/<run-id>/, and the same into latest/', async () => {
    const results = syntheticResults();
    const { runDir, latestDir } = await write(results);
    expect(runDir).toBe(join(reportsDir, results.runId));
    expect(latestDir).toBe(join(reportsDir, 'latest'));
    for (const dir of [runDir, latestDir]) {
      expect((await readdir(dir)).sort()).toEqual(['evidence', 'index.html', 'junit.xml', 'results.json', 'summary.txt']);
      expect(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))).toEqual(results);
    }
    expect((await lstat(latestDir)).isDirectory()).toBe(true);
    expect(await readFile(join(latestDir, 'index.html'), 'utf8')).toBe(await readFile(join(runDir, 'index.html'), 'utf8'));
  });

  it('shows which shard a run was in results.json and index.html (lab run --shard i/n)', async () => {
    const results = { ...syntheticResults(), shard: { index: 2, total: 3, selected: 8 } };
    const { runDir } = await write(results);
    expect(JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8')).shard).toEqual({ index: 2, total: 3, selected: 8 });
    const page = await readFile(join(runDir, 'index.html'), 'utf8');
    expect(page).toContain('<dt>Shard</dt><dd id="shard">2/3 <span class="muted">(3 of 8 selected scenarios;');
    const whole = await readFile(
      join((await write({ ...syntheticResults(), runId: 'unsplit-run' })).runDir, 'index.html'),
      'utf8',
    );
    expect(whole).not.toContain('<dt>Shard</dt>');
  });

  it('copies evidence by name and the evidence folder whole, and reports what is missing', async () => {
    const { runDir, warnings } = await write();
    expect(await readFile(join(runDir, 'evidence/S01-desktop.log'), 'utf8')).toContain('ws.closed');
    expect(await readFile(join(runDir, 'evidence/S01-site.pcap'), 'utf8')).toBe('pcap bytes');
    expect(warnings).toEqual(['S01: evidence "never written" (evidence/S01-missing.json) is not in the run folder']);
    const page = await readFile(join(runDir, 'index.html'), 'utf8');
    expect(page).toContain('<a href="evidence/S01-site.pcap">');
    expect(page).toContain('missing: evidence/S01-missing.json is not in the run folder');
    // a file no scenario names (the database dump) is still linked, as run evidence
    expect(page).toContain('<a href="evidence/database-dump.sql">evidence/database-dump.sql</a>');
  });

  it('warns about an evidence source that no scenario names', async () => {
    const { warnings } = await writeReport(syntheticResults(), { reportsDir, evidenceFrom: { nobody: '/nonexistent/file' } });
    expect(warnings).toContain(
      'evidence source "nobody" (/nonexistent/file) matches no scenario\'s evidence path or name, so it was not copied',
    );
  });

  it('never writes evidence outside the run folder or over the report files', async () => {
    const results = syntheticResults();
    results.scenarios[0]!.evidence = [
      { name: 'escape', path: '../../outside.txt', kind: 'text' },
      { name: 'clobber', path: 'index.html', kind: 'text' },
    ];
    const { runDir, warnings } = await writeReport(results, {
      reportsDir,
      evidenceFrom: { escape: join(sources, 'desktop.log'), clobber: join(sources, 'desktop.log') },
    });
    await expect(lstat(join(tmp, 'outside.txt'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(runDir, 'index.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(warnings.filter((w) => w.includes('not a file inside the run folder'))).toHaveLength(2);
    expect(warnings).toHaveLength(2);
  });

  it('replaces latest/ with the newest run and keeps the older run folder', async () => {
    const first = await write(syntheticResults('run-1'));
    await writeFile(join(first.latestDir, 'stale.txt'), 'from run 1');
    const second = await write(syntheticResults('run-2'));
    expect(JSON.parse(await readFile(join(second.latestDir, 'results.json'), 'utf8')).runId).toBe('run-2');
    expect(await readdir(second.latestDir)).not.toContain('stale.txt');
    expect(JSON.parse(await readFile(join(first.runDir, 'results.json'), 'utf8')).runId).toBe('run-1');
    expect((await readdir(reportsDir)).sort()).toEqual(['drivers', 'latest', 'run-1', 'run-2']);
  });

  it('refuses a run id that is not one plain folder name', async () => {
    for (const runId of ['../escape', 'latest', 'drivers', 'a/b', '', '.hidden']) {
      await expect(writeReport(syntheticResults(runId), { reportsDir })).rejects.toThrow(/cannot name a report folder/);
    }
    await expect(readdir(reportsDir)).rejects.toThrow(/ENOENT/);
  });

  it("keeps each driver's newest results in drivers/<driver>/ and gives the matrix a column per driver once two have results", async () => {
    const first = await write(syntheticResults('netns-1'));
    expect(await readFile(join(first.runDir, 'index.html'), 'utf8')).not.toContain('class="driver-col"');
    const docker = syntheticDockerResults('docker-1');
    const second = await write(docker);
    const page = await readFile(join(second.latestDir, 'index.html'), 'utf8');
    expect(page).toContain('<th class="driver-col" data-driver="docker">driver: docker <span class="muted">(this run)</span>');
    expect(page).toContain('<th class="driver-col" data-driver="netns">driver: netns<div class="run">run netns-1,');
    expect(await readFile(join(second.latestDir, 'summary.txt'), 'utf8')).toContain('\nCLAIM  DOCKER (this run)');
    expect(JSON.parse(await readFile(join(reportsDir, 'drivers/docker/results.json'), 'utf8'))).toEqual(docker);
    await write(syntheticResults('netns-2'));
    expect(JSON.parse(await readFile(join(reportsDir, 'drivers/netns/results.json'), 'utf8')).runId).toBe('netns-2');
    expect((await readdir(join(reportsDir, 'drivers'))).sort()).toEqual(['docker', 'netns']);
    expect(await readdir(join(reportsDir, 'drivers/netns'))).toEqual(['results.json']);
  });

  it('warns about a file under drivers/ that is not a run of that driver, and gives it no column', async () => {
    await mkdir(join(reportsDir, 'drivers/docker'), { recursive: true });
    await writeFile(join(reportsDir, 'drivers/docker/results.json'), '{"runId": "x", "driver": "netns"}');
    const { runDir, warnings } = await write(syntheticResults('netns-1'));
    expect(warnings).toContain('drivers/docker/results.json is not the results of a docker run, so its driver has no column');
    expect(await readFile(join(runDir, 'index.html'), 'utf8')).not.toContain('class="driver-col"');
  });
});
