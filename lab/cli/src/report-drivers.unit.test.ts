import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '@multiclaw-lab/scenarios';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { syntheticDockerResults, syntheticResults } from '../../../scenarios/src/report/synthetic-results.ts';
import type { CliContext } from './context.ts';
import { reportDrivers } from './report-drivers.ts';

let root: string;
let out: string[];
const ctx = () => ({ stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) }) as unknown as CliContext;
const saved = process.env.LAB_REPORTS_DIR;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mclab-report-drivers-'));
  out = [];
  delete process.env.LAB_REPORTS_DIR;
});
afterEach(async () => {
  if (saved === undefined) delete process.env.LAB_REPORTS_DIR;
  else process.env.LAB_REPORTS_DIR = saved;
  await rm(root, { recursive: true, force: true });
});

it('lab report --drivers renders reports/latest again with a claims column per driver kept in reports/drivers/', async () => {
  const reports = join(root, 'reports');
  await writeReport(syntheticResults('netns-1'), { reportsDir: reports });
  await mkdir(join(reports, 'drivers/docker'), { recursive: true });
  await writeFile(join(reports, 'drivers/docker/results.json'), JSON.stringify(syntheticDockerResults('docker-1')));
  expect(await reportDrivers(ctx(), root)).toBe(0);
  expect(out.join('')).toMatch(/^one claims column per driver: docker, netns\n/);
  expect(out.join('')).toContain(`${join(reports, 'latest', 'index.html')}\n${join(reports, 'netns-1', 'index.html')}\n`);
  expect(await readFile(join(reports, 'latest', 'index.html'), 'utf8')).toContain('data-driver="docker">driver: docker');
});

it('lab report --drivers says so when there is no report yet, and honours LAB_REPORTS_DIR', async () => {
  process.env.LAB_REPORTS_DIR = join(root, 'elsewhere');
  expect(await reportDrivers(ctx(), root)).toBe(0);
  expect(out.join('')).toBe(`no report yet: scenario runs (pnpm lab run) write ${join(root, 'elsewhere', 'latest')}/\n`);
});
