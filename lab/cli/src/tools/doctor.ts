import { TOOLS, type Tool } from './catalog.ts';
import { checkTool, type MachineProbe, type ToolState } from './probe.ts';

export interface DoctorReport {
  /** true when every tool is present and new enough */
  ok: boolean;
  isRoot: boolean;
  tools: ToolState[];
}

export async function runDoctor(probe: MachineProbe, tools: readonly Tool[] = TOOLS): Promise<DoctorReport> {
  const states: ToolState[] = [];
  for (const tool of tools) states.push(await checkTool(tool, probe));
  return { ok: states.every((s) => s.status === 'ok'), isRoot: probe.isRoot, tools: states };
}

const MARK: Record<ToolState['status'], string> = { ok: 'installed', missing: 'MISSING', outdated: 'TOO OLD' };

/** The doctor's table: one row per tool, and for every one not ok, the command that fixes it. */
export function formatDoctorReport(report: DoctorReport): string {
  const rows = report.tools.map((t) => [t.id, MARK[t.status], t.status === 'ok' ? (t.found ?? '') : (t.found ?? t.purpose)]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length), i === 0 ? 'tool'.length : 'status'.length));
  const line = (r: string[]) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`.trimEnd();
  const out = [line(['tool', 'status', 'found / what for']), ...rows.map(line)];
  const bad = report.tools.filter((t) => t.status !== 'ok');
  if (bad.length === 0) {
    out.push('', 'everything the lab needs is installed');
  } else {
    out.push('', `${bad.length} missing; how to get them:`);
    for (const t of bad) out.push(`  ${t.id}: ${t.fix}`);
    out.push('', `or all at once: ${report.isRoot ? '' : 'sudo '}pnpm lab doctor --install`);
  }
  return `${out.join('\n')}\n`;
}
