import type { ScenarioDefinition, Tag } from './define.ts';
import s01 from './scenarios/s01-desktop-wss-dropped.ts';

/** Every scenario of the suite, in the order they run. */
export const SUITE: ScenarioDefinition[] = [s01];

/** The scenarios picked by ids and/or tags (none given: all). Unknown ids or tags are an error. */
export function selectScenarios(options: { ids?: string[]; tags?: string[] } = {}): ScenarioDefinition[] {
  const ids = options.ids ?? [];
  const tags = options.tags ?? [];
  for (const id of ids) {
    if (!SUITE.some((s) => s.id === id || s.id.startsWith(`${id}-`))) {
      throw new Error(`no scenario ${JSON.stringify(id)}; scenarios: ${SUITE.map((s) => s.id).join(', ')}`);
    }
  }
  const known = new Set(SUITE.flatMap((s) => s.tags));
  for (const t of tags)
    if (!known.has(t as Tag)) throw new Error(`no scenario has tag ${JSON.stringify(t)}; tags: ${[...known].join(', ')}`);
  return SUITE.filter(
    (s) =>
      (ids.length === 0 && tags.length === 0) ||
      ids.some((id) => s.id === id || s.id.startsWith(`${id}-`)) ||
      s.tags.some((t) => tags.includes(t)),
  );
}
