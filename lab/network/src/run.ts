import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isExecutable, MissingToolError } from '@multiclaw-lab/kit';
import { CommandFailedError, NotRootError } from './errors.ts';

/**
 * Runs the system tools the driver is made of (ip, nft, tcpdump) without a shell, so no
 * argument is ever interpreted twice. Every failure names the command and the namespace.
 */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** namespace the command acts in, for error messages only */
  namespace?: string;
}

/** Runs to completion and resolves with whatever happened; never throws for a non-zero exit. */
export function runCommand(command: string, args: string[], options: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? { PATH: SYSTEM_PATH, LANG: 'C' }, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => {}); // a tool that exits without reading its input is reported by its exit code
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and throws CommandFailedError unless the exit code is 0. */
export async function mustRun(
  command: string,
  args: string[],
  options: CommandOptions & { hint?: string } = {},
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const shown = [command, ...args].join(' ');
    throw new CommandFailedError(shown, options.namespace, result.code, result.stderr || result.stdout, options.hint);
  }
  return result.stdout;
}

/** `ip ...`, optionally inside a namespace (`ip -n NS`, no extra process). */
export function ip(args: string[], namespace?: string, input?: string): Promise<string> {
  const full = namespace ? ['-n', namespace, ...args] : args;
  return mustRun('ip', full, { namespace, ...(input !== undefined ? { input } : {}) });
}

/** Feeds a batch of `ip` commands (one per line) to one `ip -batch -` inside a namespace. */
export function ipBatch(namespace: string, lines: string[]): Promise<string> {
  return ip(['-batch', '-'], namespace, `${lines.join('\n')}\n`);
}

/** Loads an nftables ruleset (`nft -f -`) inside a namespace. */
export function nft(namespace: string, ruleset: string): Promise<string> {
  return mustRun('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], { namespace, input: ruleset });
}

export function sysctl(namespace: string, settings: Record<string, string | number>): Promise<string> {
  const args = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  return mustRun('ip', ['netns', 'exec', namespace, 'sysctl', '-q', '-w', ...args], { namespace });
}

/** Where `tool` is on the system PATH, or undefined. */
export function findTool(tool: string): string | undefined {
  for (const dir of SYSTEM_PATH.split(':')) {
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  nft: 'nftables',
  tcpdump: 'tcpdump',
  sysctl: 'procps',
  runuser: 'util-linux',
  setpriv: 'util-linux',
  prlimit: 'util-linux',
};

export function requireTool(tool: string): string {
  const found = findTool(tool);
  if (!found) throw new MissingToolError(tool, `run: apt-get install -y ${PACKAGE_OF[tool] ?? tool}`);
  return found;
}

export interface ToolStatus {
  tool: string;
  /** where it is, when installed */
  path: string | undefined;
  /** Debian package that has it */
  package: string;
  /** what the driver needs it for */
  usedFor: string;
}

/** Every system tool the netns driver uses, found or not (for `lab doctor` and the installer). */
export function netnsTools(): ToolStatus[] {
  const uses: Record<string, string> = {
    ip: 'namespaces, bridges, veths, addresses, routes',
    nft: 'router NAT and firewall, faults, traffic steering',
    sysctl: 'IP forwarding on routers, no IPv6 on lab links',
    setpriv: 'running a service as another account',
    prlimit: 'raising the open-file limit of long-lived services',
    tcpdump: 'packet capture',
  };
  return Object.entries(uses).map(([tool, usedFor]) => ({
    tool,
    path: findTool(tool),
    package: PACKAGE_OF[tool] ?? tool,
    usedFor,
  }));
}

/** The netns driver needs root and iproute2 + nftables (+ procps for sysctl). */
export function checkPrerequisites(): void {
  const uid = process.getuid?.();
  if (uid !== 0) throw new NotRootError(uid);
  for (const tool of ['ip', 'nft', 'sysctl']) requireTool(tool);
}

export { SYSTEM_PATH };
