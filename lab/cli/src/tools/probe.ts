import { execFile } from 'node:child_process';
import { globSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable } from '@multiclaw-lab/kit';
import { LAB_BIN_DIR, LAB_GO_ROOT, type Tool } from './catalog.ts';

const run = promisify(execFile);

/**
 * What the doctor asks of the machine. The real one looks at the file system; tests inject
 * their own to show present and missing tools without touching the machine.
 */
export interface MachineProbe {
  isRoot: boolean;
  nodeVersion: string;
  /** absolute path of a command, or undefined */
  which(name: string): string | undefined;
  /** files matching a glob pattern */
  glob(pattern: string): string[];
  /** every `go` binary found, with its version (e.g. '1.23.12') */
  goInstalls(): Promise<Array<{ path: string; version: string }>>;
}

export type ToolStatus = 'ok' | 'missing' | 'outdated';

export interface ToolState {
  id: string;
  purpose: string;
  status: ToolStatus;
  /** where it was found, and its version when that matters */
  found?: string;
  /** the exact command a person runs to get it */
  fix: string;
}

/**
 * Where commands are looked for besides PATH: `sudo` and non-login shells often leave the
 * sbin folders out, and the lab's own folders are not on anyone's PATH.
 */
const EXTRA_DIRS = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  LAB_BIN_DIR,
  '/usr/local/go/bin',
];

export function systemProbe(): MachineProbe {
  const dirs = [...new Set([...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS])];
  const which = (name: string) => dirs.map((d) => join(d, name)).find(isExecutable);
  return {
    isRoot: process.getuid?.() === 0,
    nodeVersion: process.versions.node,
    which,
    glob: (pattern) => globSync(pattern),
    async goInstalls() {
      const candidates = new Set([join(LAB_GO_ROOT, 'bin', 'go'), '/usr/local/go/bin/go', '/usr/lib/go/bin/go']);
      const onPath = which('go');
      if (onPath) candidates.add(onPath);
      const found: Array<{ path: string; version: string }> = [];
      for (const path of candidates) {
        if (!isExecutable(path)) continue;
        const version = await run(path, ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' } })
          .then(({ stdout }) => stdout.trim().replace(/^go/, ''))
          .catch(() => undefined);
        if (version) found.push({ path, version });
      }
      return found;
    },
  };
}

/** Compares dotted versions numerically: '1.23.12' ≥ '1.23'. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.\-+a-z]/).map((p) => Number(p) || 0);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The best Go on the machine that is new enough, if any. */
export async function findGo(probe: MachineProbe, minVersion: string): Promise<{ path: string; version: string } | undefined> {
  const installs = await probe.goInstalls();
  return installs
    .filter((g) => versionAtLeast(g.version, minVersion))
    .sort((x, y) => (versionAtLeast(x.version, y.version) ? -1 : 1))[0];
}

/** The exact command a person would run to get `tool`. */
export function fixCommand(tool: Tool, isRoot: boolean): string {
  const sudo = isRoot ? '' : 'sudo ';
  const install = tool.install;
  switch (install.kind) {
    case 'apt':
      return `${sudo}apt-get install -y --no-install-recommends ${install.packages.join(' ')}`;
    case 'go-toolchain':
      return `${sudo}pnpm lab doctor --install   (Debian's ${install.aptPackage} is Go 1.19, too old; this adds Go ${install.version} in ${LAB_GO_ROOT})`;
    case 'go-install':
      return `${sudo}pnpm lab doctor --install   (runs: go install ${install.packagePath}@${install.version}, installed as ${install.installAs})`;
    case 'manual':
      return install.instructions;
  }
}

export async function checkTool(tool: Tool, probe: MachineProbe): Promise<ToolState> {
  const base = { id: tool.id, purpose: tool.purpose, fix: fixCommand(tool, probe.isRoot) };
  const check = tool.check;
  switch (check.kind) {
    case 'commands': {
      const paths = check.names.map((n) => [n, probe.which(n)] as const);
      const missing = paths.filter(([, p]) => !p).map(([n]) => n);
      if (missing.length > 0) return { ...base, status: 'missing', found: `no ${missing.join(', ')}` };
      return { ...base, status: 'ok', found: paths.map(([, p]) => p).join(' ') };
    }
    case 'file': {
      const hit = check.patterns.flatMap((p) => probe.glob(p))[0];
      return hit ? { ...base, status: 'ok', found: hit } : { ...base, status: 'missing' };
    }
    case 'node': {
      const major = Number(probe.nodeVersion.split('.')[0]);
      if (major >= check.minMajor) return { ...base, status: 'ok', found: `v${probe.nodeVersion}` };
      return { ...base, status: 'outdated', found: `v${probe.nodeVersion} (need ${check.minMajor}+)` };
    }
    case 'go': {
      const good = await findGo(probe, check.minVersion);
      if (good) return { ...base, status: 'ok', found: `${good.path} (go${good.version})` };
      const any = (await probe.goInstalls())[0];
      if (any) return { ...base, status: 'outdated', found: `${any.path} (go${any.version}, need ${check.minVersion}+)` };
      return { ...base, status: 'missing' };
    }
  }
}
