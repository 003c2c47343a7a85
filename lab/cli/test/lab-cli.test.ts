import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { listNamespaces } from '@multiclaw-lab/network';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * The command line as a person uses it: `lab up` leaves a running lab behind it (labd), `status
 * --json` describes it, a `kill -9` of the supervisor leaves a broken lab that `lab down` still
 * cleans, and a second `lab up` (here `--sites 2 --desktops 1`) works.
 */
describe('pnpm lab up / status / down', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-cli-'));
  await chmod(stateDir, 0o755);
  const prefix = `c${randomBytes(3).toString('hex')}`;
  // this file tests the netns driver, whatever LAB_DRIVER the shell has
  const env = {
    ...process.env,
    LAB_DRIVER: 'netns',
    LAB_STATE_DIR: stateDir,
    LAB_PREFIX: prefix,
    LAB_REPORTS_DIR: join(stateDir, 'reports'),
  };
  const lab = (...args: string[]) =>
    run(process.execPath, [MAIN, ...args], { env, timeout: 240_000 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  const mine = async () => (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));

  afterAll(async () => {
    await lab('down');
    await rm(stateDir, { recursive: true, force: true });
  });

  it('brings a healthy lab up and describes it', async () => {
    const up = await lab('up');
    expect(up.code, up.stderr).toBe(0);
    const status = await lab('status', '--json');
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout);
    expect(json.prefix).toBe(prefix);
    const addresses: string[] = json.hosts.flatMap((h: { addresses: string[] }) => h.addresses);
    expect(addresses.length).toBeGreaterThan(8);
    expect(addresses.every((a) => /^198\.1[89]\.\d+\.\d+\/\d+$/.test(a))).toBe(true);
    const services: Array<{ id: string; kind: string; healthy: boolean; detail?: string }> = json.services;
    expect(services.filter((s) => !s.healthy)).toEqual([]);
    for (const kind of ['postgres', 'cloud', 'coturn', 'toxiproxy', 'llm', 'cdn', 'gateway', 'desktop-sim', 'daemon']) {
      expect(
        services.some((s) => s.kind === kind),
        kind,
      ).toBe(true);
    }
    expect(services.find((s) => s.kind === 'desktop-sim')?.detail).toMatch(/app connected; local gateway connected/);
    expect(services.find((s) => s.kind === 'daemon')?.detail).toBe('connected to the cloud');

    const again = await lab('up');
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already up/);

    const exec = await lab('exec', 's1-d1', '--', 'ip', '-4', '-br', 'addr', 'show', 'eth0');
    expect(exec.stdout).toContain('198.19.1.11');

    // a scenario run on the running lab, inside labd, with its report (the whole-run checkers
    // have their own test: scenarios/test/checkers.test.ts)
    const run = await lab('run', 'S01', '--no-checkers');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^1 passed, 0 failed, 0 skipped/);
    expect(run.stdout).toMatch(/secret canary: no planted secret found in plaintext/);
    const reportPath = /report: (.+index\.html)/.exec(run.stdout)?.[1];
    expect(reportPath && (await readFile(reportPath, 'utf8'))).toContain('S01-desktop-wss-dropped');
    expect(reportPath?.startsWith(join(stateDir, 'reports'))).toBe(true); // not the repository's reports/latest
    expect((await lab('run', 'S99')).code).not.toBe(0);

    // a bounded load run on the running lab, inside labd, judged by its thresholds
    // --duration bounds the whole run, the workers' start and the opening included: a busy
    // machine needs a few seconds before the first session is up
    const load = await lab('load', 'sessions', '--clients', '6', '--duration', '8');
    expect(load.code, load.stderr).toBe(0);
    expect(load.stdout).toMatch(
      /^load sessions, 6 sessions: every threshold passed\npassed {2}sessions_failed == 0 {2}\(measured 0\)/,
    );
    expect(load.stderr).toContain('[lab] load: sessions: 6 sessions, workers in s1-d1 (2), s1-d2 (2), s1-d3 (2)');
    const missed = await lab('load', 'sessions', '--clients', '2', '--duration', '6', '--threshold', 'sessions_held >= 3');
    expect(missed.code).toBe(1);
    expect(missed.stdout).toContain('FAILED  sessions_held >= 3  (measured 2)');
    // killing a cloud instance needs several: refused, saying how to get them
    const oneCloud = await lab('load', 'storm', '--fault', 'instance');
    expect(oneCloud.code).toBe(1);
    expect(oneCloud.stderr).toContain('pnpm lab up --cloud-instances 2');
    const loadReport = /report: (.+index\.html)/.exec(missed.stdout)?.[1];
    expect(loadReport?.startsWith(join(stateDir, 'reports', 'load'))).toBe(true);
  });

  it('survives a kill -9 of its supervisor: down cleans up, and a second up works', async () => {
    const state = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8'));
    process.kill(state.labdPid, 'SIGKILL');
    const broken = await lab('status');
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).toMatch(/broken/);
    expect((await mine()).length).toBeGreaterThan(0);

    const down = await lab('down');
    expect(down.code, down.stderr).toBe(0);
    expect(await mine()).toEqual([]);

    // the second lab: two sites of one desktop each
    const up = await lab('up', '--sites', '2', '--desktops', '1');
    expect(up.code, up.stderr).toBe(0);
    const two = JSON.parse((await lab('status', '--json')).stdout);
    expect(two.hosts.filter((h: { role: string }) => h.role === 'desktop').map((h: { id: string }) => h.id)).toEqual([
      's1-d1',
      's2-d1',
    ]);
    expect(two.hosts.find((h: { id: string }) => h.id === 's2-d1').addresses).toEqual(['198.19.2.11/24']);
    expect(two.services.filter((s: { healthy: boolean }) => !s.healthy)).toEqual([]);
    expect((await mine()).length).toBeGreaterThan(0);
    const finalDown = await lab('down');
    expect(finalDown.code).toBe(0);
    expect(await mine()).toEqual([]);
    const nothing = await lab('down');
    expect(nothing.code).toBe(0);
    expect(nothing.stdout + nothing.stderr).toMatch(/no lab is up/);
  });
});
