/**
 * Which of the lab's services run with a behavioural mutant switched on: the services of the
 * components its defect lives in, and only those (the rest of the lab stays the reference).
 */
import { MUTANT_ENV } from '@multiclaw-lab/kit';
import { type MutantComponent, type MutantDefinition, mutantById } from '@multiclaw-lab/protocol';

/** the service kinds each component runs as in the lab */
const KINDS: Record<MutantComponent, readonly string[]> = {
  cloud: ['cloud'],
  gateway: ['gateway', 'daemon'],
  desktop: ['desktop-sim'],
  // the shared logger of MultiClaw's own components
  logger: ['cloud', 'gateway', 'daemon', 'desktop-sim'],
  // coturn is configured, not switched by a variable: the lab writes its config accordingly
  coturn: [],
};

/** The mutant named `id`, or an error listing the catalogue. */
export function findMutant(id: string): MutantDefinition {
  const found = mutantById(id);
  if (!found) throw new Error(`no mutant ${JSON.stringify(id)}; see pnpm lab mutate --list`);
  return found;
}

/** The variables a service of `kind` gets so that it runs with `mutant` on (none: it stays the reference). */
export function mutantEnv(kind: string, mutant: MutantDefinition | undefined): NodeJS.ProcessEnv {
  if (!mutant) return {};
  return mutant.components.some((c) => KINDS[c].includes(kind)) ? { [MUTANT_ENV]: mutant.id } : {};
}

/** Whether the lab's coturn runs with `id` (a coturn mutant) on. */
export function coturnMutant(mutant: MutantDefinition | undefined, id: string): boolean {
  return mutant?.components.includes('coturn') === true && mutant.id === id;
}
