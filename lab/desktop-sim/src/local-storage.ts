/**
 * The desktop app's "WebView local storage": a small key-value store in `<profile>/local-storage.json`.
 * Like the real WebView store it is plain JSON protected only by file permissions (folder 0700,
 * file 0600). Every write goes to a fresh temporary file in the same folder and is renamed over
 * the old one, so a crash never leaves a half-written file and a reader sees old or new, never a mix.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, writeFileAtomic } from './atomic-file.ts';

export const LOCAL_STORAGE_FILE = 'local-storage.json';

const Stored = z.record(z.string(), z.string());
export type StoredValues = z.infer<typeof Stored>;

export class LocalStorage {
  readonly dir: string;
  readonly file: string;

  constructor(profileDir: string) {
    this.dir = profileDir;
    this.file = join(profileDir, LOCAL_STORAGE_FILE);
  }

  /** Creates the profile folder if needed and (re)asserts its owner-only mode. */
  async ensureDir(): Promise<void> {
    // mkdir's mode is filtered by the umask and ignored for an existing folder: it is set explicitly.
    await ensurePrivateDir(this.dir);
  }

  async readAll(): Promise<StoredValues> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      const parsed = Stored.safeParse(JSON.parse(text));
      // A damaged store is treated as empty (the user signs in again) rather than crashing the app.
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.readAll())[key];
  }

  async set(values: StoredValues): Promise<void> {
    const current = await this.readAll();
    await this.#write({ ...current, ...values });
  }

  async delete(...keys: string[]): Promise<void> {
    const current = await this.readAll();
    for (const key of keys) delete current[key];
    await this.#write(current);
  }

  async #write(values: StoredValues): Promise<void> {
    await this.ensureDir();
    await writeFileAtomic(this.file, `${JSON.stringify(values, null, 2)}\n`);
  }
}
