/**
 * Files under ~/.openclaw are protected by OS permissions only (the docs' trust boundary is the
 * OS user), so the gateway makes them user-only and refuses to run on a tree others can read.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LabError, shellQuote } from '@multiclaw-lab/kit';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Group or others may read, write or enter it. */
const OPEN_TO_OTHERS = 0o077;

export class InsecurePermissionsError extends LabError {
  readonly path: string;
  readonly mode: number;
  constructor(path: string, mode: number, kind: 'folder' | 'file') {
    const want = kind === 'folder' ? '700' : '600';
    super(
      'GATEWAY_INSECURE_PERMISSIONS',
      `refusing to start: ${kind} ${path} has mode ${formatMode(mode)} and is open to group or others; it holds credentials`,
      { hint: `run: chmod ${want} ${shellQuote(path)}` },
    );
    this.path = path;
    this.mode = mode;
  }
}

export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** Creates `path` (and parents) as 0700, or checks an existing one is not open to others. */
export async function ensurePrivateDir(path: string): Promise<void> {
  const created = await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  // mkdir applies the umask, so a folder we just made gets its mode set explicitly.
  if (created !== undefined) await chmod(path, PRIVATE_DIR_MODE);
  await assertPrivate(path, 'folder');
}

/** Throws InsecurePermissionsError if `path` exists and group or others have any access to it. */
export async function assertPrivate(path: string, kind: 'folder' | 'file'): Promise<boolean> {
  let mode: number;
  try {
    mode = (await lstat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if ((mode & OPEN_TO_OTHERS) !== 0) throw new InsecurePermissionsError(path, mode, kind);
  return true;
}

/**
 * Writes `data` so a reader (or a crash) sees the old file or the new one, never half of one:
 * a 0600 temp file beside it, fsync, rename over, fsync the folder.
 */
export async function writeFileAtomic(path: string, data: string, mode = PRIVATE_FILE_MODE): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(mode);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(temp, path);
  await syncDir(dirname(path));
}

/** Makes a rename or a new file in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
