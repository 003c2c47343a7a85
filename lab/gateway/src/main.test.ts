import { access, chmod, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanChildEnv, startProcess } from '@multiclaw-lab/kit';
import { OpenclawConfig } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { INSTANCE_TOKEN } from './test-support/homes.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('gateway process', () => {
  it('provisions a daemon from the environment, logs ready with its url, and shuts down cleanly on SIGTERM', async () => {
    const home = await mkdtemp(join(tmpdir(), 'gw-main-'));
    // Nothing listens on port 9 of loopback: the daemon keeps retrying, which is all this test needs.
    const env = cleanChildEnv({
      HOME: home,
      GATEWAY_MODE: 'daemon',
      GATEWAY_CLOUD_URL: 'https://127.0.0.1:9',
      GATEWAY_WORKSPACE_ID: 'w1',
      GATEWAY_INSTANCE_ID: 'i1',
      GATEWAY_INSTANCE_TOKEN: INSTANCE_TOKEN,
    });
    const gateway = await startProcess({ name: 'gateway', command: process.execPath, args: [MAIN], env });
    try {
      expect(gateway.ready).toMatchObject({ mode: 'daemon', url: `http://127.0.0.1:${gateway.ready.port}` });
      const config = OpenclawConfig.parse(JSON.parse(await readFile(join(home, '.openclaw/openclaw.json'), 'utf8')));
      expect(config.workspace).toEqual({
        cloudUrl: 'https://127.0.0.1:9',
        workspaceId: 'w1',
        instanceId: 'i1',
        authToken: INSTANCE_TOKEN,
      });
      const localApi = join(home, '.openclaw/run/local-api.json');
      await access(localApi);
      gateway.signal('SIGTERM');
      expect(await gateway.waitForExit()).toEqual({ code: 0, signal: null });
      await expect(access(localApi)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(gateway.tail(1000)).not.toContain(INSTANCE_TOKEN);
    } finally {
      await gateway.stop();
    }
  });

  it('exits with the chmod hint when ~/.openclaw is open to others', async () => {
    const home = await mkdtemp(join(tmpdir(), 'gw-main-'));
    await mkdir(join(home, '.openclaw'));
    await chmod(join(home, '.openclaw'), 0o755);
    const gateway = await startProcess({
      name: 'gateway',
      command: process.execPath,
      args: [MAIN],
      env: cleanChildEnv({ HOME: home }),
      waitForReady: false,
    });
    expect((await gateway.waitForExit()).code).toBe(1);
    expect(gateway.tail()).toContain(`run: chmod 700 ${join(home, '.openclaw')}`);
  });
});
