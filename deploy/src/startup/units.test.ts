/**
 * Every role's generated systemd unit passes `systemd-analyze verify` with nothing to say
 * (verify exits 0 even for unknown keys or bad values, so any output is a failure). The
 * installed Node does not exist on this machine: the copy verified runs this Node instead.
 * Skipped where systemd-analyze is not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { INSTANCE_ROLES } from '../outputs.ts';
import { PATHS, ROLE_PLANS } from './roles.ts';
import { unitFile } from './units.ts';

const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const services = INSTANCE_ROLES.flatMap((role) => ROLE_PLANS[role].services.map((service) => ({ role, service })));
const dirs: string[] = [];

describe.skipIf(!ANALYZE)('systemd-analyze verify', () => {
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it.each(services)('$role: $service.name', async ({ service }) => {
    const dir = await mkdtemp(join(tmpdir(), 'mcl-units-'));
    dirs.push(dir);
    const file = join(dir, `${service.name}.service`);
    await writeFile(file, unitFile(service).replaceAll(PATHS.node, process.execPath));
    const { stdout, stderr } = await promisify(execFile)(ANALYZE!, ['verify', '--man=no', file]).catch(
      (err: { stdout: string; stderr: string }) => err,
    );
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });
});
