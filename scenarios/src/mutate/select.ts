import { MUTANTS, type MutantDefinition, mutantById } from '@multiclaw-lab/protocol';

/** The mutants picked by ids and/or tags (none given: all). Unknown ids or tags are an error naming the known ones. */
export function selectMutants(options: { ids?: readonly string[]; tags?: readonly string[] } = {}): MutantDefinition[] {
  const ids = options.ids ?? [];
  const tags = options.tags ?? [];
  for (const id of ids) {
    if (!mutantById(id)) throw new Error(`no mutant ${JSON.stringify(id)}; see pnpm lab mutate --list`);
  }
  const known = new Set<string>(MUTANTS.flatMap((x) => x.tags));
  for (const t of tags) {
    if (!known.has(t)) throw new Error(`no mutant has tag ${JSON.stringify(t)}; tags: ${[...known].join(', ')}`);
  }
  return MUTANTS.filter(
    (x) => (ids.length === 0 && tags.length === 0) || ids.includes(x.id) || x.tags.some((t) => tags.includes(t)),
  );
}
