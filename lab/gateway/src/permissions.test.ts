import { access, chmod, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGateway } from './gateway.ts';
import { InsecurePermissionsError } from './secure-fs.ts';
import { captureLogs } from './test-support/log-capture.ts';

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const tempHome = () => mkdtemp(join(tmpdir(), 'gw-perm-'));

describe('~/.openclaw permissions', () => {
  it('creates the folders 0700 and the files 0600, and removes local-api.json on clean shutdown', async () => {
    const home = await tempHome();
    const gateway = await startGateway({ home, mode: 'local', logger: captureLogs().logger });
    const dir = join(home, '.openclaw');
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(join(dir, 'openclaw.json'))).toBe(0o600);
    expect(await mode(join(dir, 'run'))).toBe(0o700);
    expect(await mode(join(dir, 'run', 'local-api.json'))).toBe(0o600);
    expect(await mode(join(dir, 'conversations'))).toBe(0o700);
    expect(await mode(join(dir, 'outbox'))).toBe(0o700);
    await gateway.close();
    await expect(access(join(dir, 'run', 'local-api.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // atomic writes leave no temp files behind
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a 0755 ~/.openclaw, naming the path, the mode and the chmod to run', async () => {
    const home = await tempHome();
    const dir = join(home, '.openclaw');
    await mkdir(dir);
    await chmod(dir, 0o755);
    const failure = startGateway({ home, mode: 'local', logger: captureLogs().logger });
    await expect(failure).rejects.toBeInstanceOf(InsecurePermissionsError);
    await expect(failure).rejects.toThrow(`folder ${dir} has mode 0755`);
    await expect(failure).rejects.toThrow(`run: chmod 700 ${dir}`);
  });

  it('refuses a 0644 openclaw.json with the chmod hint', async () => {
    const home = await tempHome();
    const dir = join(home, '.openclaw');
    await mkdir(dir, { mode: 0o700 });
    const file = join(dir, 'openclaw.json');
    await writeFile(file, JSON.stringify({ version: 1 }));
    await chmod(file, 0o644);
    const failure = startGateway({ home, mode: 'local', logger: captureLogs().logger });
    await expect(failure).rejects.toThrow(`file ${file} has mode 0644`);
    await expect(failure).rejects.toThrow(`run: chmod 600 ${file}`);
  });

  it('refuses an openclaw.json that is not valid, naming the file', async () => {
    const home = await tempHome();
    const dir = join(home, '.openclaw');
    await mkdir(dir, { mode: 0o700 });
    await writeFile(join(dir, 'openclaw.json'), '{ not json', { mode: 0o600 });
    await expect(startGateway({ home, mode: 'local', logger: captureLogs().logger })).rejects.toThrow(
      `${join(dir, 'openclaw.json')} is not valid JSON`,
    );
  });
});
