import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessHandle } from '@multiclaw-lab/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetnsDriver } from './netns-driver.ts';
import { runCommand } from './run.ts';
import { ETC_NETNS, listNamespaces, teardownByPrefix } from './teardown.ts';
import { buildTopology } from './topology.ts';

/**
 * Teardown without the driver that made the lab: after its harness was killed with SIGKILL,
 * with nothing there, after a failed up(), and never touching anything without the prefix.
 */
const prefix = `t${randomBytes(3).toString('hex')}`;
const decoys = [prefix, `${prefix}x-keep`]; // look alike, but lack the exact "<prefix>-"
let stateDir: string;

const ours = async () => (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));

/** Running and not a zombie (a killed orphan may wait a moment to be reaped by init). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'netns-teardown-'));
  for (const d of decoys) await runCommand('ip', ['netns', 'add', d]);
  await mkdir(join(ETC_NETNS, `${prefix}x-keep`), { recursive: true });
});

afterAll(async () => {
  await teardownByPrefix(prefix, { stateDir });
  for (const d of decoys) await runCommand('ip', ['netns', 'delete', d]);
  await rm(join(ETC_NETNS, `${prefix}x-keep`), { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
  expect(await ours()).toEqual([]);
});

describe('teardownByPrefix', () => {
  it('with nothing there, removes nothing and says so', async () => {
    const report = await teardownByPrefix(prefix);
    expect(report).toMatchObject({ nothingFound: true, removed: [] });
    expect(report.message).toMatch(/nothing to remove/);
  });

  it('cleans up everything after the harness was killed with SIGKILL, and nothing else', async () => {
    const fixture = new URL('./fixtures/up-and-wait.ts', import.meta.url).pathname;
    const child = spawn(process.execPath, ['--no-warnings', fixture, prefix, stateDir], { stdio: 'pipe' });
    const harness = new ProcessHandle('up-and-wait', child);
    const ready = await harness.waitForLog({ event: 'ready' }, 20_000);
    const pids = ready.json!.pids as number[];
    child.kill('SIGKILL');
    await harness.waitForExit();
    expect(pids.every(alive)).toBe(true); // the lab outlived its harness
    expect((await ours()).length).toBe(buildTopology().hosts.length + 1);

    const report = await teardownByPrefix(prefix, { stateDir });
    expect(report.nothingFound).toBe(false);
    expect(report.killedPids).toEqual(expect.arrayContaining(pids));
    expect(report.namespaces).toContain(`${prefix}-fabric`);
    expect(report.removed).toContain(`namespace ${prefix}-s1-rtr`);
    expect(pids.filter(alive)).toEqual([]);
    expect(await ours()).toEqual([]);
    expect((await readdir(ETC_NETNS)).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
    expect(existsSync(join(stateDir, 'run'))).toBe(false);
    // the look-alikes are untouched
    expect(await listNamespaces()).toEqual(expect.arrayContaining(decoys));
    expect(existsSync(join(ETC_NETNS, `${prefix}x-keep`))).toBe(true);
    // and a new lab with the same prefix comes up (the second `lab up` after a kill -9)
    const again = await NetnsDriver.up(buildTopology(), { prefix, stateDir });
    await again.down();
    expect(await ours()).toEqual([]);
  });

  it('an up() that fails half-way removes what it made and says what failed where', async () => {
    const topology = buildTopology();
    topology.hosts.find((h) => h.id === 's1-d1')!.defaultGateway = '198.18.99.1'; // not on the host's segment
    const failed = NetnsDriver.up(topology, { prefix, stateDir });
    await expect(failed).rejects.toMatchObject({ code: 'LAB_NET_COMMAND_FAILED', namespace: `${prefix}-s1-d1` });
    expect(await ours()).toEqual([]);
    expect((await readdir(ETC_NETNS)).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
  });

  it('refuses addresses outside 198.18.0.0/15 before creating anything', async () => {
    const topology = buildTopology();
    topology.hosts[0]!.interfaces[0]!.address = '203.0.113.9';
    await expect(NetnsDriver.up(topology, { prefix, stateDir })).rejects.toMatchObject({ code: 'LAB_BAD_ADDRESS' });
    expect(await ours()).toEqual([]);
  });

  it('refuses a prefix that could match another lab', async () => {
    await expect(teardownByPrefix('mcl-s1')).rejects.toMatchObject({ code: 'LAB_BAD_PREFIX' });
    await expect(NetnsDriver.up(buildTopology(), { prefix: 'Lab', stateDir })).rejects.toMatchObject({ code: 'LAB_BAD_PREFIX' });
  });
});
