/**
 * The base image: Debian bookworm with the lab's packages, made by mmdebstrap as a tar and
 * loaded with `docker import` (nothing is pulled from a registry, and no Dockerfile RUN step
 * could reach a mirror on a daemon without iptables).
 */
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageBuildError, mmdebstrapMissing } from './errors.ts';
import { findExecutable, readOrEmpty } from './locate.ts';
import { baseImportChanges, mmdebstrapArgs, parseMirror } from './recipe.ts';
import { heartbeat, type Progress, runWithLines, withTempDir } from './steps.ts';

export async function debianMirror(): Promise<string> {
  return parseMirror({
    deb822: await readOrEmpty('/etc/apt/sources.list.d/debian.sources'),
    list: await readOrEmpty('/etc/apt/sources.list'),
  });
}

/** mmdebstrap's own progress lines (I: info, W: warning, E: error); the rest is apt and dpkg chatter. */
const MMDEBSTRAP_LINE = /^[IWE]: /;

export async function buildBaseImage(tag: string, inputsHash: string, onProgress: Progress): Promise<void> {
  const root = process.getuid?.() === 0;
  const mmdebstrap = await findExecutable('mmdebstrap');
  if (!mmdebstrap) throw mmdebstrapMissing(root);
  const mirror = await debianMirror();
  await withTempDir('base', async (dir, signal) => {
    const tarPath = join(dir, 'base.tar');
    // apt downloads as the _apt user when it can reach the folder (else it warns and downloads as root)
    await chmod(dir, 0o755);
    onProgress(`${tag}: mmdebstrap ${root ? 'as root' : 'unprivileged (unshare)'} from ${mirror}`);
    const stop = heartbeat(onProgress, `${tag}: mmdebstrap`);
    try {
      // TMPDIR: mmdebstrap's own scratch folder goes inside ours, so it too is gone afterwards
      await runWithLines(mmdebstrap, mmdebstrapArgs({ root, mirror, tarPath }), {
        env: { ...process.env, TMPDIR: dir },
        signal,
        onLine: (line) => MMDEBSTRAP_LINE.test(line) && onProgress(`${tag}: mmdebstrap ${line}`),
      });
    } catch (err) {
      throw new ImageBuildError(tag, 'mmdebstrap', (err as Error).message, err);
    } finally {
      stop();
    }
    onProgress(`${tag}: docker import`);
    const stopImport = heartbeat(onProgress, `${tag}: docker import`);
    try {
      const changes = baseImportChanges(inputsHash).flatMap((change) => ['--change', change]);
      await runWithLines('docker', ['import', ...changes, tarPath, tag], { signal, onLine: () => {} });
    } catch (err) {
      throw new ImageBuildError(tag, 'docker import', (err as Error).message, err);
    } finally {
      stopImport();
    }
  });
}
