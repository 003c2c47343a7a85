import { chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalStorage } from './local-storage.ts';
import { tempDir } from './testing/helpers.ts';

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('local storage (the WebView store)', () => {
  it('creates the profile folder 0700 and the file 0600, and leaves no temporary files', async () => {
    const profile = join(await tempDir('ls'), 'profile');
    const storage = new LocalStorage(profile);
    await storage.set({ a: '1' });
    await storage.set({ b: '2' });
    expect(await mode(profile)).toBe(0o700);
    expect(await mode(storage.file)).toBe(0o600);
    expect(await readdir(profile)).toEqual(['local-storage.json']);
    expect(JSON.parse(await readFile(storage.file, 'utf8'))).toEqual({ a: '1', b: '2' });
  });

  it('tightens a profile folder that already existed with wider permissions', async () => {
    const profile = join(await tempDir('ls'), 'profile');
    await mkdir(profile);
    await chmod(profile, 0o755);
    await new LocalStorage(profile).set({ a: '1' });
    expect(await mode(profile)).toBe(0o700);
  });

  it('deletes keys so that their values are gone from the file', async () => {
    const storage = new LocalStorage(await tempDir('ls'));
    await storage.set({ bearer: 'mcb_secretvalue123', keep: 'yes' });
    await storage.delete('bearer');
    const text = await readFile(storage.file, 'utf8');
    expect(text).not.toContain('mcb_secretvalue123');
    expect(await storage.readAll()).toEqual({ keep: 'yes' });
  });

  it('treats a damaged file as empty instead of crashing', async () => {
    const storage = new LocalStorage(await tempDir('ls'));
    await storage.set({ a: '1' });
    await (await import('node:fs/promises')).writeFile(storage.file, '{not json');
    expect(await storage.readAll()).toEqual({});
  });
});
