/**
 * The one switch of the lab's behavioural mutants: `MULTICLAW_MUTANT` names the defect a
 * component's process runs with (`pnpm lab mutate` sets it; nothing else does). It is read once,
 * here, so the components' normal code paths only ask `mutantOn(id)` at the place of the defect.
 */
export const MUTANT_ENV = 'MULTICLAW_MUTANT';

const active = process.env[MUTANT_ENV] ?? '';

/** Whether this process runs with mutant `id` switched on. */
export function mutantOn(id: string): boolean {
  return active !== '' && active === id;
}
