import { readFile } from 'node:fs/promises';

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

export async function procMemory(pid: number): Promise<ProcMemory> {
  return parseProcStatus(await readFile(`/proc/${pid}/status`, 'utf8'));
}

/** The soft "Max open files" limit of a process, from /proc/<pid>/limits. */
export async function openFilesLimit(pid: number | 'self'): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)\s+/m.exec(text);
  if (!match) return undefined;
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}
