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
      ['prlimit', 'util-linux'],
      ['tcpdump', 'tcpdump'],
    ]);
    expect(tools.every((t) => t.path)).toBe(true); // this machine has them all
  });

  it('refuses to run as a non-root user and says to run as root', async () => {
    const run = new URL('./run.ts', import.meta.url).pathname;
    // The module is loaded as root, then the process becomes nobody before the check: so the
    // test does not depend on whether nobody may read the checkout (a clone in a 0700 folder).
    const script = `const m = await import(${JSON.stringify(run)}); process.setgid('nogroup'); process.setuid('nobody'); try { m.checkPrerequisites(); console.log('{}'); } catch (e) { console.log(JSON.stringify({ uid: process.getuid(), code: e.code, message: e.message })); }`;
    const r = await runCommand(process.execPath, ['--no-warnings', '--input-type=module', '-e', script]);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({
      uid: 65534,
      code: 'LAB_NOT_ROOT',
      message: expect.stringContaining('run as root'),
    });
  });
});
