import { cp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes `<reportsDir>/latest` a full copy of the run folder. A copy rather than a symlink: it
 * survives CI artifact uploads and zip files (which drop or dangle symlinks), works the same on
 * every OS, and the page inside links only relatively, so it opens from either folder.
 * The copy is built beside `latest` and swapped in with renames, so `latest` is never half-written.
 */
export async function refreshLatest(reportsDir: string, runDir: string, runId: string): Promise<string> {
  const latest = join(reportsDir, 'latest');
  const incoming = join(reportsDir, `.latest-incoming-${runId}-${process.pid}`);
  const outgoing = join(reportsDir, `.latest-outgoing-${runId}-${process.pid}`);
  await rm(incoming, { recursive: true, force: true });
  await cp(runDir, incoming, { recursive: true });
  try {
    await rename(latest, outgoing);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(incoming, latest);
  await rm(outgoing, { recursive: true, force: true });
  return latest;
}
