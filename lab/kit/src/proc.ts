/**
 * Reading a process's CPU time and memory from the text of its /proc files (wherever the text was
 * read: on this machine, or inside a lab host through its driver).
 */

/** Clock ticks per second of /proc's CPU times (CLK_TCK: 100 on every Linux the lab runs on). */
export const PROC_TICKS_PER_SECOND = 100;

/**
 * User + system CPU seconds a process (all its threads) has used so far, from /proc/<pid>/stat.
 * Fields are counted after the `)` closing the command name, which may itself hold spaces.
 */
export function parseProcStatCpuSeconds(text: string): number {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('/proc stat line without utime/stime');
  return (utime + stime) / PROC_TICKS_PER_SECOND;
}

/** Resident set size of a process as the kernel counts it (VmRSS and its peak VmHWM), in bytes. */
export interface ProcMemory {
  rssBytes: number;
  peakRssBytes: number;
}

/** Parses the `VmRSS:  123 kB` style lines of /proc/<pid>/status. */
export function parseProcStatus(text: string): ProcMemory {
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    if (!match) throw new Error(`/proc status has no ${field} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** The machine's CPU time so far, all cores together, from the `cpu ` line of /proc/stat. */
export interface MachineCpuTime {
  /** every state the kernel counts (user … steal), in seconds */
  totalSeconds: number;
  /** time the hypervisor ran something else while this machine's vCPUs wanted to run */
  stealSeconds: number;
}

export function parseProcStatMachine(text: string): MachineCpuTime {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  // user nice system idle iowait irq softirq steal (guest times are already inside user/nice)
  const ticks = line?.trim().split(/\s+/).slice(1, 9).map(Number) ?? [];
  if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) throw new Error('/proc/stat has no complete cpu line');
  return {
    totalSeconds: ticks.reduce((a, b) => a + b, 0) / PROC_TICKS_PER_SECOND,
    stealSeconds: ticks[7]! / PROC_TICKS_PER_SECOND,
  };
}
