import { describe, expect, it } from 'vitest';
import { netnsTools, runCommand } from './run.ts';

describe('preflight', () => {
  it('names every tool the driver uses with its Debian package', () => {
    const tools = netnsTools();
    expect(tools.map((t) => [t.tool, t.package])).toEqual([
      ['ip', 'iproute2'],
      ['nft', 'nftables'],
      ['sysctl', 'procps'],
      ['setpriv', 'util-linux'],
      ['tcpdump', 'tcpdump'],
    ]);
    expect(tools.every((t) => t.path)).toBe(true); // this machine has them all
  });

  it('refuses to run as a non-root user and says to run as root', async () => {
    const run = new URL('./run.ts', import.meta.url).pathname;
    const script = `import(${JSON.stringify(run)}).then((m) => m.checkPrerequisites()).catch((e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
    const r = await runCommand('runuser', [
      '-u',
      'nobody',
      '--',
      process.execPath,
      '--no-warnings',
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ code: 'LAB_NOT_ROOT', message: expect.stringContaining('run as root') });
  });
});
