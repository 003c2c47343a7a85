import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { faketimeEnv, writeClockOffset } from './faketime.ts';

const run = promisify(execFile);

describe('libfaketime clock control', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mclab-ft-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("moves a child's wall clock while it runs, and leaves its timers working", async () => {
    const file = join(dir, 'offset');
    await writeClockOffset(file, 0);
    const script = `
      const fs = require('node:fs');
      const a = Date.now();
      fs.writeFileSync(${JSON.stringify(file)}, '+14400\\n');
      const b = Date.now();
      setTimeout(() => console.log(JSON.stringify({ jump: b - a })), 20);`;
    const { stdout } = await run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, ...faketimeEnv(file) } });
    const { jump } = JSON.parse(stdout);
    expect(jump).toBeGreaterThanOrEqual(14_400_000);
    expect(jump).toBeLessThan(14_460_000);
  });

  it('does not touch processes started without it', async () => {
    const { stdout } = await run(process.execPath, ['-e', 'console.log(Date.now())'], { env: { PATH: process.env.PATH } });
    expect(Math.abs(Number(stdout) - Date.now())).toBeLessThan(60_000);
  });
});
