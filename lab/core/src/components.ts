import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledEntry, ensureComponentBundles } from './component-bundles.ts';

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

/**
 * How to start a component: `node <entry> ...extra`, where the entry is the component's bundle
 * when one matches the sources as they are now (see component-bundles.ts), else its source file.
 * The lab and the loopback stack both start components through this.
 */
export function componentCommand(name: ComponentName, extra: string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: [bundledEntry(name) ?? componentEntry(name), ...extra] };
}

/** Builds the components' bundles when the sources changed since the last build (see component-bundles.ts). */
export function prepareComponents(log?: (message: string) => void): Promise<'current' | 'built' | 'source'> {
  const entries = Object.fromEntries(Object.keys(COMPONENT_ENTRIES).map((name) => [name, componentEntry(name as ComponentName)]));
  return ensureComponentBundles(entries, log);
}
