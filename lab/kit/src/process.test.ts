import { describe, expect, it } from 'vitest';
import { ProcessExitedError, ReadyTimeoutError } from './errors.ts';
import { cleanChildEnv, startProcess } from './process.ts';

const node = process.execPath;

describe('startProcess', () => {
  it('waits for the ready line and hands back its fields', async () => {
    await using child = await startProcess({
      name: 'ready-child',
      command: node,
      args: ['-e', 'console.log(JSON.stringify({event:"ready",port:1234})); setInterval(()=>{}, 1000)'],
      env: cleanChildEnv(),
    });
    expect(child.ready.port).toBe(1234);
    expect(child.running).toBe(true);
    await child.stop();
    expect(child.running).toBe(false);
  });

  it('reports a child that exits before it is ready, with its last output', async () => {
    const err = await startProcess({
      name: 'dying-child',
      command: node,
      args: ['-e', 'console.error("config file missing"); process.exit(3)'],
      env: cleanChildEnv(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessExitedError);
    expect((err as ProcessExitedError).exitCode).toBe(3);
    expect(String((err as Error).message)).toContain('config file missing');
  });

  it('gives up on a child that never gets ready and ends it', async () => {
    const err = await startProcess({
      name: 'silent-child',
      command: node,
      args: ['-e', 'setInterval(()=>{}, 1000)'],
      env: cleanChildEnv(),
      readyTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadyTimeoutError);
  });

  it('finds log lines by fields and ends a stubborn child with SIGKILL', async () => {
    const child = await startProcess({
      name: 'stubborn-child',
      command: node,
      args: [
        '-e',
        'process.on("SIGTERM",()=>console.log(JSON.stringify({event:"ignoring-term"}))); console.log(JSON.stringify({event:"ready"})); setInterval(()=>{}, 1000)',
      ],
      env: cleanChildEnv(),
    });
    await child.stop(200);
    expect(child.signalCode).toBe('SIGKILL');
    await expect(child.waitForLog({ event: 'ignoring-term' }, 1000)).resolves.toBeDefined();
  });

  it('copies every output line into a log file, then a closing line after the last one', async () => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'mclab-logto-'));
    try {
      const child = await startProcess({
        name: 'talker',
        command: node,
        args: [
          '-e',
          'console.log(JSON.stringify({event:"ready"})); console.log("one"); console.error("two"); setTimeout(()=>process.exit(4), 50)',
        ],
        env: cleanChildEnv(),
      });
      const file = join(dir, 'talker.log');
      await child.logTo(file, (code) => `exited ${code}`);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe('{"event":"ready"}');
      expect(lines).toEqual(expect.arrayContaining(['one', 'two']));
      expect(lines.at(-1)).toBe('exited 4');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
