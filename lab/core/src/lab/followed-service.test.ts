/**
 * Following a service the lab does not run: its output file on its host, read from where the
 * follow started, through the driver's spawn (here a local process: the script is plain sh).
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followedServiceDef } from './followed-service.ts';
import { ServiceRegistry } from './registry.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcl-followed-'));
  // where the registry copies each service's lines
  await mkdir(join(dir, 'logs'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const localDriver = {
  spawn: (_host: string, command: string, args: string[]) => spawn(command, args, { stdio: 'pipe' }),
  signal: async () => undefined,
};

describe('a followed service', () => {
  it('shows the lines written after the follow began, none from before, and cannot be stopped or restarted', async () => {
    const logFile = join(dir, 'multiclaw-cloud.log');
    await writeFile(logFile, `${JSON.stringify({ event: 'before', n: 1 })}\n`);
    const registry = new ServiceRegistry(localDriver, dir);
    const def = followedServiceDef(localDriver, {
      id: 'cloud',
      kind: 'cloud',
      host: 'cloud',
      logFile,
      health: async () => ({ healthy: true, detail: 'not asked here' }),
      managedBy: "the staging stack's multiclaw-cloud service",
    });
    const followed = await registry.start(def);
    try {
      await appendFile(logFile, `${JSON.stringify({ event: 'after', n: 2 })}\n${JSON.stringify({ event: 'after', n: 3 })}\n`);
      await followed.handle.waitForLine((l) => l.json?.n === 3, 10_000);
      const events = followed.handle.lines.map((l) => l.json?.event);
      expect(events).toEqual(['lab.following', 'after', 'after']);
      await expect(registry.restart('cloud')).rejects.toMatchObject({ code: 'LAB_UNSUPPORTED' });
      await expect(registry.stop('cloud')).rejects.toThrow(/multiclaw-cloud service; the lab only follows its log/);
    } finally {
      await registry.stopAll();
    }
  });
});
