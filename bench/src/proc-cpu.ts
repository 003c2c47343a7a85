import { readFile } from 'node:fs/promises';
import { parseProcStatCpuSeconds } from '@multiclaw-lab/kit';

export async function procCpuSeconds(pid: number): Promise<number> {
  return parseProcStatCpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
}
