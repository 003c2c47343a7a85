import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rerenderWithDrivers } from './rerender.ts';
import { syntheticDockerResults, syntheticResults } from './synthetic-results.ts';
import { writeReport } from './write-report.ts';

let reportsDir: string;
beforeEach(async () => {
  reportsDir = join(await mkdtemp(join(tmpdir(), 'mclab-rerender-')), 'reports');
});
afterEach(() => rm(join(reportsDir, '..'), { recursive: true, force: true }));

describe('lab report --drivers', () => {
  it('renders the newest report again with a column for every driver kept under drivers/', async () => {
    const { runDir, latestDir } = await writeReport(syntheticResults('netns-1'), { reportsDir });
    const before = await readFile(join(latestDir, 'results.json'), 'utf8');
    // another machine's docker results, copied in by hand after the netns report was written
    await mkdir(join(reportsDir, 'drivers/docker'), { recursive: true });
    await writeFile(join(reportsDir, 'drivers/docker/results.json'), JSON.stringify(syntheticDockerResults('docker-1')));
    const done = await rerenderWithDrivers(reportsDir);
    expect(done?.pages).toEqual([join(latestDir, 'index.html'), join(runDir, 'index.html')]);
    expect(done?.drivers).toEqual(['docker', 'netns']);
    // the synthetic run names evidence this test never wrote: said again, as the first report did
    expect(done?.warnings).toContain('S01: evidence "site capture" (evidence/S01-site.pcap) is not in the run folder');
    for (const dir of [latestDir, runDir]) {
      const page = await readFile(join(dir, 'index.html'), 'utf8');
      expect(page).toContain('<th class="driver-col" data-driver="docker">driver: docker<div class="run">run docker-1,');
      expect(page).toContain('<div class="reason" title="the docker driver cannot provide browser:');
      expect(await readFile(join(dir, 'summary.txt'), 'utf8')).toContain('\nCLAIM  DOCKER                  NETNS (this run)');
    }
    expect(await readFile(join(latestDir, 'results.json'), 'utf8')).toBe(before);
  });

  it('renders latest/ alone when its run folder is gone, and finds its evidence there', async () => {
    const sources = join(reportsDir, '..', 'sources');
    await mkdir(sources, { recursive: true });
    await writeFile(join(sources, 'S01-site.pcap'), 'pcap bytes');
    const { runDir, latestDir } = await writeReport(syntheticResults('netns-1'), { reportsDir, evidenceDir: sources });
    await rm(runDir, { recursive: true });
    const done = await rerenderWithDrivers(reportsDir);
    expect(done?.pages).toEqual([join(latestDir, 'index.html')]);
    expect(await readFile(join(latestDir, 'index.html'), 'utf8')).toContain('<a href="evidence/S01-site.pcap">');
  });

  it('says there is nothing to render when no report was written yet', async () => {
    expect(await rerenderWithDrivers(reportsDir)).toBeUndefined();
  });
});
