/** Finding the programs the images are built with or from, and checking the Node to copy. */
import { constants } from 'node:fs';
import { access, open, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { toxiproxyMissing, UnsuitableNodeError } from './errors.ts';

/** Where `pnpm lab doctor --install` puts the tools it builds (the CLI's catalogue says the same). */
export const LAB_BIN_DIR = '/opt/multiclaw-lab/bin';

/** The first executable `name` on PATH or in `extraDirs`, or undefined. */
export async function findExecutable(name: string, extraDirs: string[] = []): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/bin', ...extraDirs];
  for (const dir of dirs) {
    const path = join(dir, name);
    if (
      await access(path, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return undefined;
}

export async function findToxiproxyServer(): Promise<string> {
  const path = await findExecutable('toxiproxy-server', [LAB_BIN_DIR]);
  if (!path) throw toxiproxyMissing();
  return path;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * The Node binary to copy into the host image: the one running this, when it is a Linux ELF
 * binary of Node 24 (a macOS or Windows Node would not run inside the Linux container).
 */
export async function nodeForImage(path = process.execPath, version = process.versions.node): Promise<string> {
  const file = await open(path, 'r').catch((err: Error) => {
    throw new UnsuitableNodeError(path, `cannot be read (${err.message})`);
  });
  try {
    const { buffer } = await file.read(Buffer.alloc(4), 0, 4, 0);
    if (!buffer.equals(ELF_MAGIC)) throw new UnsuitableNodeError(path, 'is not a Linux (ELF) binary');
  } finally {
    await file.close();
  }
  if (version.split('.')[0] !== '24') throw new UnsuitableNodeError(path, `is Node ${version}`);
  return path;
}

/** The text of a file, or '' when it cannot be read (an absent apt sources file). */
export function readOrEmpty(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}
