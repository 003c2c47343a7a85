/**
 * Taking a lab down: with its handle (stop every service, then the driver), or without one, by
 * prefix, after a crash of whatever held it. Either way the logs stay (they are the evidence)
 * and the folders that held secrets or state go.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { teardownByPrefix } from '@multiclaw-lab/network';

const STATE_FOLDERS = ['run', 'secrets', 'pg', 'pki', 'clock'];

export async function removeLabState(stateDir: string): Promise<void> {
  for (const sub of STATE_FOLDERS) await rm(join(stateDir, sub), { recursive: true, force: true });
}

/** Removes a netns lab by its prefix, with no handle to it (`lab down` after a crash). */
export async function teardownLab(options: { prefix: string; stateDir: string }): Promise<{ removed: string[] }> {
  const report = await teardownByPrefix(options.prefix, { stateDir: options.stateDir });
  await removeLabState(options.stateDir);
  return { removed: report.removed ?? [] };
}

/** Runs every step of a teardown whatever fails; answers the failures (none: everything went). */
export async function takeDown(steps: Array<() => Promise<unknown>>): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (const step of steps) await step().catch((err: unknown) => failures.push(err));
  return failures;
}
