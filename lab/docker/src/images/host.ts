/**
 * The host image: the base plus this machine's Node and toxiproxy-server, copied in (no RUN
 * step: the daemon has iptables off, so nothing inside a build can reach a mirror).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageBuildError } from './errors.ts';
import { HOST_INPUTS_ARG, hostDockerfile } from './recipe.ts';
import { heartbeat, type Progress, withTempDir } from './steps.ts';

const digests = new Map<string, string>();

/** sha256 of a file, computed once per process for the same file (path, size and mtime) */
export async function sha256File(path: string): Promise<string> {
  const { size, mtimeMs } = await stat(path);
  const key = `${path}\0${size}\0${mtimeMs}`;
  const known = digests.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  digests.set(key, digest);
  return digest;
}

/**
 * Loads testcontainers with the settings this machine needs: Ryuk (its clean-up container)
 * cannot be pulled here, and the daemon is local. Set only when the user has not.
 */
export async function loadTestcontainers(): Promise<typeof import('testcontainers')> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= 'localhost';
  return import('testcontainers');
}

export async function buildHostImage(
  tag: string,
  inputs: { baseTag: string; inputsHash: string; node: string; toxiproxy: string; force: boolean },
  onProgress: Progress,
): Promise<void> {
  const { GenericContainer } = await loadTestcontainers();
  await withTempDir('host', async (dir) => {
    await writeFile(join(dir, 'Dockerfile'), hostDockerfile(inputs.baseTag));
    await copyFile(inputs.node, join(dir, 'node'));
    await copyFile(inputs.toxiproxy, join(dir, 'toxiproxy-server'));
    onProgress(`${tag}: docker build FROM ${inputs.baseTag} (node, toxiproxy-server)`);
    const stop = heartbeat(onProgress, `${tag}: docker build`);
    try {
      await GenericContainer.fromDockerfile(dir)
        .withBuildArgs({ [HOST_INPUTS_ARG]: inputs.inputsHash })
        .withCache(!inputs.force)
        .build(tag, { deleteOnExit: false });
    } catch (err) {
      throw new ImageBuildError(tag, 'docker build', (err as Error).message, err);
    } finally {
      stop();
    }
  });
}
