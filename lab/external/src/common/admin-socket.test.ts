import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../test-support.ts';
import { listenOnAdminSocket } from './admin-socket.ts';

const run = promisify(execFile);
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('admin-socket-');
});
afterAll(async () => {
  await dir?.remove();
});

/** A socket file nobody listens on, as a process killed with -9 leaves it. */
async function staleSocket(path: string): Promise<void> {
  const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  await run(process.execPath, ['-e', script]).catch((err: { signal?: string }) => {
    if (err.signal !== 'SIGKILL') throw err;
  });
}

it('listens with mode 0600 and removes the socket on close', async () => {
  const path = join(dir.path, 'a.sock');
  const app = Fastify();
  await listenOnAdminSocket(app, path);
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  await app.close();
  expect(existsSync(path)).toBe(false);
});

it('replaces a stale socket, but not a live one or a regular file', async () => {
  const stale = join(dir.path, 'stale.sock');
  await staleSocket(stale);
  expect((await stat(stale)).isSocket()).toBe(true);
  const app = Fastify();
  await listenOnAdminSocket(app, stale);
  await expect(listenOnAdminSocket(Fastify(), stale)).rejects.toThrow(/another process listens/);
  await app.close();

  const file = join(dir.path, 'file.sock');
  await writeFile(file, 'not a socket');
  await expect(listenOnAdminSocket(Fastify(), file)).rejects.toThrow(/is not a socket/);
});
