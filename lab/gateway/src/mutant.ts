import { mutantOn } from '@multiclaw-lab/kit';
import type { MutantIdOf } from '@multiclaw-lab/protocol';

/** Whether this process runs with one of the gateway's catalogued defects on (`pnpm lab mutate`). */
export const mutant = (id: MutantIdOf<'gateway'>): boolean => mutantOn(id);
