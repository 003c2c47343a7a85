import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every regular file under `dir`, recursively, with its content. */
export async function allFiles(dir: string): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []; // a folder removed meanwhile
    throw err;
  });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else if (entry.isFile()) {
      // a file can vanish between the listing and the read: an atomic write's temporary file,
      // renamed into place meanwhile (its content is then in the file it became)
      const content = await readFile(path, 'latin1').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (content !== undefined) out.push({ path, content });
    }
  }
  return out;
}

/** Paths of files under `dir` that contain `needle` anywhere. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  return (await allFiles(dir)).filter((f) => f.content.includes(needle)).map((f) => f.path);
}
