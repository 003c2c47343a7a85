import type { Lab } from '@multiclaw-lab/core';
import type { TimelineEntry } from './model.ts';

const NOISE = new Set(['level', 'time', 'service', 'pid', 'msg']);
const MAX_ENTRIES = 3_000;

/**
 * One timeline for a scenario: its own steps plus every JSON log line any lab process wrote
 * between `from` and `to` (by the harness's clock of receipt, since a process's own timestamps
 * follow its possibly moved clock), oldest first.
 */
export function mergedTimeline(lab: Lab, steps: TimelineEntry[], from: number, to: number): TimelineEntry[] {
  const entries: Array<TimelineEntry & { at: number }> = steps.map((s) => ({ ...s, at: Date.parse(s.time) }));
  for (const service of lab.history) {
    for (const line of service.handle.lines) {
      if (line.receivedAt < from || line.receivedAt > to) continue;
      const json = line.json;
      const fields: Record<string, unknown> = {};
      let event: string;
      if (json) {
        for (const [k, v] of Object.entries(json)) if (!NOISE.has(k) && k !== 'event') fields[k] = v;
        event = String(json.event ?? json.msg ?? json.message ?? 'log');
        if (json.msg && json.event) fields.msg = json.msg;
      } else {
        event = 'output';
        fields.text = line.text.slice(0, 500);
      }
      entries.push({ time: new Date(line.receivedAt).toISOString(), at: line.receivedAt, source: service.def.id, event, fields });
    }
  }
  entries.sort((a, b) => a.at - b.at);
  const trimmed = entries.length > MAX_ENTRIES ? entries.slice(-MAX_ENTRIES) : entries;
  return trimmed.map(({ at: _at, ...rest }) => rest);
}
