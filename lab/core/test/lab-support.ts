import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Lab, type StartLabOptions, startLab } from '../src/index.ts';

/**
 * A whole lab for one test file, under a random prefix so several can exist at once, in a
 * state folder the `postgres` account can traverse.
 */
export async function startTestLab(options: Partial<StartLabOptions> = {}): Promise<Lab> {
  const stateDir = await mkdtemp(join(tmpdir(), 'mclab-lab-'));
  await chmod(stateDir, 0o755);
  const prefix = `t${randomBytes(3).toString('hex')}`;
  return startLab({ prefix, stateDir, ...options });
}
