import { mutantOn } from '@multiclaw-lab/kit';
import type { MutantIdOf } from '@multiclaw-lab/protocol';

/** Whether this process runs with one of the cloud's catalogued defects on (`pnpm lab mutate`). */
export const mutant = (id: MutantIdOf<'cloud'>): boolean => mutantOn(id);
