import { describe, expect, it } from 'vitest';
import { captureStart, clockSet, nftDelete, nftLoad, runProgram, signalProgram } from './instance-commands.ts';

describe('instance scripts', () => {
  it('a program’s arguments and environment reach it as words, never as shell code', () => {
    const { script } = runProgram({ command: 'node', args: ['-e', 'console.log("$(id)")'], env: { TOKEN: "a'b $c" } });
    expect(script).toContain(`'TOKEN=a'\\''b $c'`);
    expect(script).toContain(`'console.log("$(id)")'`);
  });

  it('names that end up in paths, tables or accounts must be plain', () => {
    expect(() => runProgram({ command: 'x', args: [], env: { 'A B': '1' } })).toThrow(/environment variable name/);
    expect(() => runProgram({ command: 'x', args: [], env: {}, user: 'root; reboot' })).toThrow(/unsafe account/);
    expect(() => nftDelete('lab_x; reboot')).toThrow(/unsafe nft table/);
    expect(() => signalProgram('../../etc/passwd', 'SIGTERM')).toThrow(/unsafe pid name/);
    expect(() => captureStart({ name: 'c', iface: 'eth0 -w /etc/x' })).toThrow(/unsafe interface/);
  });

  it('a ruleset cannot end its own here-document early', () => {
    expect(() => nftLoad('table ip t {}\nMULTICLAW_LAB_NFT_END\nflush ruleset')).toThrow(/may not contain/);
    expect(nftLoad('table ip lab_x_1 {\n}\n').description).toBe('load nft table lab_x_1');
  });

  it('clock offsets are whole seconds with their sign', () => {
    expect(clockSet(-30).script).toContain("printf '%s\\n' -30");
    expect(clockSet(90).script).toContain("printf '%s\\n' +90");
    expect(() => clockSet(1.5)).toThrow(RangeError);
  });
});
