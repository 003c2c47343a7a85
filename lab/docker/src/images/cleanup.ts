/**
 * After a build: the lab images no longer current (older tags, images a forced rebuild took the
 * tag from) are removed, unless a container still uses them, so they do not pile up.
 */
import { docker, imagesInUse, listLabImages } from './docker-cli.ts';
import { BASE_REPOSITORY, HOST_REPOSITORY } from './recipe.ts';
import type { Progress } from './steps.ts';

const REPOSITORY = { base: BASE_REPOSITORY, host: HOST_REPOSITORY } as const;

/** Removes every other lab image; `current` holds the image ids to keep. Returns what it removed. */
export async function removeStaleImages(current: { base: string; host: string }, onProgress: Progress): Promise<string[]> {
  const inUse = await imagesInUse();
  const removed: string[] = [];
  // hosts first: an old base is the parent of the old hosts built on it
  for (const kind of ['host', 'base'] as const) {
    for (const image of await listLabImages(kind)) {
      const name = image.tag ?? `${REPOSITORY[kind]} image ${image.id.replace('sha256:', '').slice(0, 12)} (untagged)`;
      if (image.id === current[kind]) continue;
      if (image.tag !== undefined && !image.tag.startsWith(`${REPOSITORY[kind]}:`)) continue; // someone else's name for it
      if (inUse.has(image.id)) {
        onProgress(`kept ${name}: a container uses it`);
        continue;
      }
      try {
        await docker(['rmi', image.tag ?? image.id]);
        removed.push(name);
        onProgress(`removed ${name} (no longer current)`);
      } catch (err) {
        onProgress(`could not remove ${name}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
      }
    }
  }
  return removed;
}
