import { describe, expect, it } from 'vitest';
import { parseProcStatCpuSeconds, parseProcStatMachine, parseProcStatus } from './proc.ts';

describe('/proc text', () => {
  it('reads user + system CPU time, even when the command name holds spaces and a parenthesis', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (node (cloud) x) S 1 4242 4242 0 -1 4194560 3000 0 0 0 250 125 0 0 20 0 11 0 100 0 0';
    expect(parseProcStatCpuSeconds(stat)).toBe(3.75);
    expect(() => parseProcStatCpuSeconds('4242 (node) S 1')).toThrow(/without utime\/stime/);
  });

  it('reads the resident set and its peak in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ rssBytes: 102_400 * 1024, peakRssBytes: 204_800 * 1024 });
    expect(() => parseProcStatus('Name:\tnode\n')).toThrow(/no VmRSS line/);
  });

  it("reads the machine's CPU time and the part the hypervisor stole, from the cpu line", () => {
    const stat = 'cpu  100 5 50 800 10 0 5 30 0 0\ncpu0 50 2 25 400 5 0 2 15 0 0\nintr 1\n';
    expect(parseProcStatMachine(stat)).toEqual({ totalSeconds: 10, stealSeconds: 0.3 });
    expect(() => parseProcStatMachine('cpu0 1 2 3\n')).toThrow(/no complete cpu line/);
  });
});
