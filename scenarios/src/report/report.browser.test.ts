// biome-ignore-all lint/performance/useDomNodeTextContent: innerText is what a person sees (rendered, hidden text left out)
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCKER_SKIP_REASON,
  INJECTED_IMG,
  INJECTED_SCRIPT,
  syntheticDockerResults,
  syntheticResults,
} from './synthetic-results.ts';
import { writeReport } from './write-report.ts';

/**
 * Opens index.html from disk in headless Debian chromium and checks what a person would see.
 * Without chromium the test skips on a workstation and FAILS in CI, where the tool catalogue
 * (`pnpm lab doctor --install`) installs it.
 */
/** LAB_CHROMIUM overrides the path (e.g. to check the skip and the CI failure by hand). */
const CHROMIUM = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = ['true', '1', 'yes'].includes((process.env.CI ?? '').toLowerCase());
const skip = !haveChromium && !inCI;
const title = skip
  ? `index.html in a browser (SKIPPED: no ${CHROMIUM}; install it with \`apt-get install -y chromium\` or \`pnpm lab doctor --install\`)`
  : 'index.html in a browser';

if (skip) console.warn(title);

let tmp: string;
let context: BrowserContext;
let page: Page;
let fileUrl: string;
const requests: string[] = [];
const problems: string[] = [];

beforeAll(async () => {
  if (skip) return;
  if (!haveChromium)
    throw new Error(
      `CI=${process.env.CI} but ${CHROMIUM} is missing: the tool catalogue's "chromium" entry should have installed it`,
    );
  tmp = await mkdtemp(join(tmpdir(), 'mclab-report-browser-'));
  const { runDir } = await writeReport(syntheticResults(), { reportsDir: join(tmp, 'reports') });
  fileUrl = pathToFileURL(join(runDir, 'index.html')).href;
  const userDataDir = join(tmp, 'chromium-profile');
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  context.on('request', (r) => requests.push(r.url()));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(fileUrl, { waitUntil: 'load' });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(skip)(title, () => {
  it('shows the verdict and the totals', async () => {
    expect(await page.locator('#verdict').innerText()).toBe('RUN FAILED');
    expect(await page.locator('#totals-scenarios').innerText()).toBe('Scenarios: 1 passed, 1 failed, 1 skipped');
    expect(await page.locator('#totals-claims').innerText()).toBe(
      'Claims: 1 verified, 1 failed, 1 untested, 1 untestable, 0 documented contradictions',
    );
  });

  it('shows every claim in the matrix with its status in words, the reason when untestable, and links to scenarios', async () => {
    const rows = page.locator('tr.claim');
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td as unknown as { innerText: string }).innerText)),
    );
    expect(cells.map((c) => [c[0], c[4]])).toEqual([
      ['NS-01', 'VERIFIED'],
      ['CS-05', 'FAILED'],
      ['DE-03', 'UNTESTED'],
      ['DE-09', 'UNTESTABLE'],
    ]);
    expect(cells[1]![3]).toBe('User WSS tokens expire after 4 hours; "daemon" tokens after <24 hours>.');
    expect(cells[3]![3]).toContain("Untestable: the user's own laptop disk is outside the lab");
    await page.locator('#claim-DE-03 a', { hasText: 'S03' }).click();
    expect(page.url()).toBe(`${fileUrl}#scenario-S03`);
    expect(await page.locator('#scenario-S03').innerText()).toContain('Skipped: mitmproxy is not installed');
  });

  it('hides rows with the status and page filters', async () => {
    await page.selectOption('#filter-status', 'failed');
    expect(await page.locator('tr.claim:visible td.id').allInnerTexts()).toEqual(['CS-05']);
    expect(await page.locator('#filter-count').innerText()).toBe('1 of 4 claims shown');
    await page.selectOption('#filter-status', 'all');
    await page.selectOption('#filter-page', 'data-encryption');
    expect(await page.locator('tr.claim:visible td.id').allInnerTexts()).toEqual(['DE-03', 'DE-09']);
    await page.selectOption('#filter-page', 'all');
    expect(await page.locator('tr.claim:visible').count()).toBe(4);
  });

  it("shows a failed scenario's error and stack, and a metric with its unit", async () => {
    const failed = page.locator('#scenario-S02');
    expect(await failed.locator('.error .message').innerText()).toBe('expected close code 4401 but got 1006 <from "cloud">');
    expect(await failed.locator('.stack').innerText()).toContain('at scenarios/src/scenarios/tokens.ts:42:7');
    expect(await page.locator('#scenario-S01 table.metrics tbody tr td').allInnerTexts()).toEqual([
      'reconnect time',
      '1234.5',
      'ms',
    ]);
  });

  it('shows the timeline after expanding it, with hostile log text as plain text', async () => {
    const section = page.locator('#scenario-S01');
    const entries = section.locator('details.timeline tr.entry');
    expect(await entries.first().isVisible()).toBe(false);
    await section.locator('details.timeline summary').click();
    expect(await entries.first().isVisible()).toBe(true);
    const rows = await entries.evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => (td as unknown as { innerText: string }).innerText)),
    );
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ['10:00:01.000 +0.000 s', 'scenario', 'fault.reset'],
      ['10:00:01.250 +0.250 s', 'desktop-sim-1', 'ws.closed'],
      ['10:00:02.234 +1.234 s', 'desktop-sim-1', 'ws.welcomed'],
    ]);
    expect(rows[1]![3]).toBe(`code=1006 reason=${JSON.stringify(INJECTED_SCRIPT)} note=${JSON.stringify(INJECTED_IMG)}`);
  });

  it('ran none of the injected markup and made no request but the file itself', async () => {
    expect(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned)).toBeUndefined();
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(requests.filter((u) => !u.startsWith('data:'))).toEqual([fileUrl]);
    expect(problems).toEqual([]);
  });

  it('shows the canary hit as a loud alert and links evidence relatively', async () => {
    const alarm = page.locator('#canary [role="alert"]');
    expect(await alarm.innerText()).toContain('SECRET LEAK: 1 plaintext secret(s) found');
    expect(await alarm.innerText()).toContain('LLM key <sk-lab-1>');
    expect(await page.locator('#canary').innerText()).toContain('5 secret(s) planted, 37 file(s) scanned.');
    expect(await page.locator('#scenario-S01 ul.evidence').innerText()).toContain('missing: evidence/S01-site.pcap');
  });

  it('renders to a non-empty PNG screenshot', async () => {
    const path = join(tmp, 'report.png');
    await page.screenshot({ path, fullPage: true });
    const png = await readFile(path);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.length).toBeGreaterThan(1000);
  });

  it('shows one status column per driver, with why a driver skipped a scenario, once two drivers have results', async () => {
    const reportsDir = join(tmp, 'two-drivers');
    await writeReport(syntheticResults('netns-1'), { reportsDir });
    const { runDir } = await writeReport(syntheticDockerResults('docker-1'), { reportsDir });
    const second = await context.newPage();
    const seen: string[] = [];
    second.on('console', (m) => seen.push(`console ${m.type()}: ${m.text()}`));
    second.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
    await second.goto(pathToFileURL(join(runDir, 'index.html')).href, { waitUntil: 'load' });
    expect(await second.locator('#driver').innerText()).toBe('driver: docker');
    expect(await second.locator('th.driver-col').allInnerTexts()).toEqual([
      'driver: docker (this run)\nrun docker-1, 2026-11-23 09:30 UTC',
      'driver: netns\nrun netns-1, 2026-11-22 10:00 UTC',
    ]);
    const ns01 = second.locator('#claim-NS-01 td.driver-status');
    expect(await ns01.allInnerTexts()).toEqual(['UNTESTED\nskipped on docker: S01', 'VERIFIED']);
    expect(await ns01.first().locator('.reason').getAttribute('title')).toBe(DOCKER_SKIP_REASON);
    expect(await second.locator('#driver-skips').innerText()).toContain(
      `skipped on docker: S01 Desktop WSS dropped → reconnects by itself — ${DOCKER_SKIP_REASON}`,
    );
    expect(seen).toEqual([]);
    await second.close();
  });
});
