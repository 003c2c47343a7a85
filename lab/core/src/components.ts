import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where each component's process entry lives. The harness runs components as processes and
 * never imports their code: it resolves the package (its public entry) and starts the `main`
 * file beside it with this Node.
 */
export const COMPONENT_ENTRIES = {
  cloud: ['@multiclaw-lab/cloud', 'main.ts'],
  gateway: ['@multiclaw-lab/gateway', 'main.ts'],
  'desktop-sim': ['@multiclaw-lab/desktop-sim', 'cli.ts'],
  llm: ['@multiclaw-lab/external', 'main-llm.ts'],
  cdn: ['@multiclaw-lab/external', 'main-cdn.ts'],
} as const;

export type ComponentName = keyof typeof COMPONENT_ENTRIES;

export function componentEntry(name: ComponentName): string {
  const [pkg, file] = COMPONENT_ENTRIES[name];
  const index = fileURLToPath(import.meta.resolve(pkg));
  return join(dirname(index), file);
}
