import { readFile } from 'node:fs/promises';
import { type ProcMemory, parseProcStatus } from '@multiclaw-lab/kit';

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
