/**
 * Scenarios on a staging stack, end to end, without AWS: the docker staging (each instance a
 * container of the base image brought up by its own role's generated start-up script, an ALB
 * stand-in in front of the cloud) attached to exactly as `lab run` attaches to a deployed stack
 * (stagingLab over the aws driver, its scripts delivered by `docker exec` instead of SSM). The
 * stack's services are followed, the lab's clients run on the desktop instance, and the suite
 * runs there: what can run passes, what cannot is skipped with the aws driver's reason.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DockerStaging, startDockerStaging } from '@multiclaw-lab/aws/testing/docker-staging';
import type { Lab } from '@multiclaw-lab/core';
import { docker } from '@multiclaw-lab/docker';
import { runSuite } from '@multiclaw-lab/scenarios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagingLab } from './staging-lab.ts';

let staging: DockerStaging;
let lab: Lab;
let dir: string;
const progress = (line: string) => process.stderr.write(`[staging lab] ${line}\n`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcl-stglab-'));
  staging = await startDockerStaging({ onProgress: progress });
  lab = await stagingLab({
    outputs: staging.outputs,
    transport: staging.transport,
    running: await staging.transport.hosts(),
    prefix: 'mst',
    stateDir: join(dir, 'state'),
    onProgress: progress,
  });
}, 900_000);

afterAll(async () => {
  await lab?.down().catch((err: unknown) => progress(`down failed: ${String(err)}`));
  await staging?.down();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

/** the command lines running in a container, one per line */
async function processes(hostId: string): Promise<string> {
  return (await docker(['exec', staging.containerOf(hostId), 'ps', '-eo', 'args='])).stdout;
}

/** the stack's own gateway service: the installed Node running the installed release */
const STACK_GATEWAY = /^\/opt\/multiclaw-lab\/bin\/node \/opt\/multiclaw-lab\/app\/lab\/gateway\/src\/main\.ts$/m;
/** the lab's own clients (Node found on the PATH, the same release) */
const LAB_GATEWAY = /^node \/opt\/multiclaw-lab\/app\/lab\/gateway\/src\/main\.ts$/m;
const LAB_DESKTOP = /^node \/opt\/multiclaw-lab\/app\/lab\/desktop-sim\/src\/cli\.ts serve$/m;

describe('a Lab attached to a staging stack (docker staging)', () => {
  it("follows the stack's own services and runs the lab's clients on the desktop instance, every one healthy", async () => {
    const status = await lab.status();
    const byId = Object.fromEntries(status.services.map((s) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(['cloud', 'llm', 's1-d1-desktop', 's1-d1-gateway']);
    for (const s of status.services) expect(s.healthy, `${s.id}: ${s.detail}`).toBe(true);
    expect(byId.cloud!.detail).toContain('GET https://127.0.0.1:443/healthz on cloud: 2xx');
    // the lab's gateway and app run on the desktop instance, beside the stack's own gateway service
    const ps = await processes('s1-d1');
    expect(ps).toMatch(LAB_DESKTOP);
    expect(ps).toMatch(LAB_GATEWAY);
    expect(ps).toMatch(STACK_GATEWAY);
  });

  it("refuses to stop or restart the stack's own services: they are the stack's, only followed", async () => {
    await expect(lab.restart('cloud')).rejects.toMatchObject({ code: 'LAB_UNSUPPORTED' });
    await expect(lab.stop('llm')).rejects.toThrow(/the lab only follows its log/);
  });

  it('runs the suite there: what needs nothing the stack lacks passes, the rest is skipped with the reason', async () => {
    const reportsDir = join(dir, 'reports');
    const { results, summary } = await runSuite(lab, {
      ids: ['S29-stranger-cannot-sign-you-out', 'S05-user-removed', 'S01-desktop-wss-dropped'],
      checkers: [],
      reportsDir,
      onProgress: progress,
    });
    const byId = Object.fromEntries(results.scenarios.map((s) => [s.id, s]));
    expect(byId['S29-stranger-cannot-sign-you-out']?.status, JSON.stringify(summary.failures)).toBe('passed');
    expect(byId['S05-user-removed']).toMatchObject({ status: 'skipped', skipReason: expect.stringContaining('host-files:') });
    expect(byId['S01-desktop-wss-dropped']).toMatchObject({
      status: 'skipped',
      skipReason: expect.stringContaining('a staging site’s router is a NAT gateway'),
    });
    // the cloud's own log, followed from its instance, holds what the scenario did there
    const signIns = lab.history
      .filter((s) => s.def.id === 'cloud')
      .flatMap((s) => s.handle.lines)
      .filter((l) => l.json?.event === 'auth.signed_in');
    expect(signIns.length, 'no sign-in in the cloud’s followed log').toBeGreaterThan(0);
    // the canary scanned the database (dumped through the cloud instance) and the desktop's folder (copied here)
    expect(summary.canaryHits).toBe(0);
    const dump = await readFile(join(summary.runDir, 'evidence', 'database-dump.sql'), 'utf8').catch(() => '');
    expect(dump).toContain('"table":');
    expect(await readdir(join(dir, 'state', 'hosts', 's1-d1'))).toContain('home');
  }, 600_000);

  it('detaches on down: the lab’s clients end on the instance, the stack’s services keep serving', async () => {
    await lab.down();
    const ps = await processes('s1-d1');
    expect(ps).not.toMatch(LAB_DESKTOP);
    expect(ps).not.toMatch(LAB_GATEWAY);
    expect(ps).toMatch(STACK_GATEWAY);
    const health = await docker([
      'exec',
      staging.containerOf('cloud'),
      'curl',
      '-sS',
      '-f',
      '-k',
      'https://127.0.0.1:443/healthz',
    ]);
    expect(health.code, health.stderr).toBe(0);
  });
});
