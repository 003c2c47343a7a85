import type { MachineProbe } from './probe.ts';

/** A machine made of a set of commands, files and Go installs: for the doctor's unit tests. */
export function fakeProbe(options: {
  isRoot?: boolean;
  node?: string;
  commands?: Iterable<string>;
  files?: Iterable<string>;
  gos?: Array<{ path: string; version: string }>;
}): MachineProbe & { commands: Set<string>; files: Set<string>; gos: Array<{ path: string; version: string }> } {
  const commands = new Set(options.commands ?? []);
  const files = new Set(options.files ?? []);
  const gos = options.gos ?? [];
  return {
    commands,
    files,
    gos,
    isRoot: options.isRoot ?? true,
    nodeVersion: options.node ?? '24.21.0',
    which: (name) => (commands.has(name) ? `/usr/bin/${name}` : undefined),
    glob: (pattern) => {
      const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]+')}$`);
      return [...files].filter((f) => re.test(f));
    },
    goInstalls: async () => [...gos],
  };
}
