import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every regular file under `dir`, recursively, with its content. */
export async function allFiles(dir: string): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await allFiles(path)));
    else if (entry.isFile()) out.push({ path, content: await readFile(path, 'latin1') });
  }
  return out;
}

/** Paths of files under `dir` that contain `needle` anywhere. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  return (await allFiles(dir)).filter((f) => f.content.includes(needle)).map((f) => f.path);
}
