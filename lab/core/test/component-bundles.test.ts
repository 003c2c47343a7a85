import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanChildEnv, type ProcessHandle, startProcess } from '@multiclaw-lab/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentCommand, componentEntry, prepareComponents } from '../src/components.ts';

/**
 * The prebuilt components `lab up` starts: built into the cache folder, chosen while they match
 * the sources, and they run as the source entries do (the desktop app's CLI really runs, the
 * gateway finds what it reads beside its sources). A missing bundle means the source entry.
 */
describe('component bundles', () => {
  let cache: string;
  const saved = { cache: process.env.LAB_CACHE_DIR, components: process.env.LAB_COMPONENTS };

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'mclab-bundles-'));
    process.env.LAB_CACHE_DIR = cache;
    delete process.env.LAB_COMPONENTS;
  });
  afterAll(async () => {
    for (const [name, value] of [
      ['LAB_CACHE_DIR', saved.cache],
      ['LAB_COMPONENTS', saved.components],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(cache, { recursive: true, force: true });
  });

  it('starts components from source while no bundle matches the sources', () => {
    expect(componentCommand('gateway', ['x'])).toEqual({ command: process.execPath, args: [componentEntry('gateway'), 'x'] });
  });

  it('builds the bundles once, then finds them current, and starts components from them', async () => {
    const messages: string[] = [];
    expect(await prepareComponents((m) => messages.push(m))).toBe('built');
    expect(messages.join('\n')).toMatch(/bundled 5 components/);
    expect(await prepareComponents()).toBe('current');
    for (const name of ['cloud', 'gateway', 'desktop-sim', 'llm', 'cdn'] as const) {
      const { args } = componentCommand(name);
      expect(args[0]!.startsWith(join(cache, 'components'))).toBe(true);
    }
  });

  it('a bundled gateway and a bundled desktop app start and answer', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mclab-bundled-'));
    const started: ProcessHandle[] = [];
    try {
      const gateway = await startProcess({
        name: 'gateway',
        ...componentCommand('gateway'),
        env: cleanChildEnv({ HOME: home, GATEWAY_MODE: 'local' }),
      });
      started.push(gateway);
      expect(gateway.ready).toMatchObject({ mode: 'local', url: `http://127.0.0.1:${gateway.ready.port}` });

      const desktop = await startProcess({
        name: 'desktop-sim',
        ...componentCommand('desktop-sim', ['serve']),
        env: cleanChildEnv({
          HOME: home,
          DESKTOP_PROFILE_DIR: join(home, '.multiclaw-desktop'),
          DESKTOP_CLOUD_URL: 'https://127.0.0.1:9',
          DESKTOP_GATEWAY_HOME: home,
        }),
      });
      started.push(desktop);
      desktop.child.stdin!.write(`${JSON.stringify({ id: 1, cmd: 'status' })}\n`);
      const status = await desktop.waitForLog({ event: 'result', id: 1 });
      expect(status.json).toMatchObject({ ok: true, result: { state: 'signed-out', signedIn: false } });
    } finally {
      for (const p of started) await p.stop();
      await rm(home, { recursive: true, force: true });
    }
  });

  it('LAB_COMPONENTS=source starts them from source even with current bundles', async () => {
    process.env.LAB_COMPONENTS = 'source';
    try {
      expect(componentCommand('desktop-sim', ['serve']).args).toEqual([componentEntry('desktop-sim'), 'serve']);
      expect(await prepareComponents()).toBe('source');
    } finally {
      delete process.env.LAB_COMPONENTS;
    }
  });
});
