import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import type { ProgressStep } from '../lab-api.ts';
import { GO_MIN_VERSION, LAB_OPT_DIR, TOOLS, type Tool } from './catalog.ts';
import { type DoctorReport, runDoctor } from './doctor.ts';
import { findGo, type MachineProbe } from './probe.ts';

/** Runs a program to completion; rejects with its output when it fails. Injected in tests. */
export type CommandRunner = (
  command: string,
  args: string[],
  options?: { env?: NodeJS.ProcessEnv; cwd?: string },
) => Promise<string>;

export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const tail = `${stderr}`.trim().split('\n').slice(-15).join('\n');
          reject(new LabError('LAB_INSTALL_FAILED', `${command} ${args.join(' ')} failed:\n${tail || err.message}`));
        } else resolve(stdout);
      },
    );
  });

export class NeedsRootError extends LabError {
  readonly commands: string[];
  constructor(commands: string[]) {
    super('LAB_NOT_ROOT', `installing system packages needs root; run:\n${commands.map((c) => `  ${c}`).join('\n')}`);
    this.commands = commands;
  }
}

/** Installing as root failed (no registry, a broken mirror…): the error carries the commands a person runs. */
export class InstallBlockedError extends LabError {
  readonly commands: string[];
  constructor(cause: unknown, commands: string[]) {
    super(
      'LAB_INSTALL_FAILED',
      `${cause instanceof Error ? cause.message : String(cause)}\n` +
        `the lab could not install what it needs from here (is the package registry reachable?). Run, once it is:\n${commands.map((c) => `  ${c}`).join('\n')}`,
      { cause },
    );
    this.commands = commands;
  }
}

/** The commands that install these by hand, as root, then bring the lab up. */
function manualCommands(aptPackages: string[], goToolchain: Tool | undefined, goBuilds: Tool[]): string[] {
  const commands: string[] = [];
  if (aptPackages.length > 0)
    commands.push(`apt-get update && apt-get install -y --no-install-recommends ${aptPackages.join(' ')}`);
  if (goToolchain?.install.kind === 'go-toolchain') {
    const v = goToolchain.install.version;
    commands.push(
      `go mod download -json golang.org/toolchain@v0.0.1-go${v}.linux-${GO_ARCH[process.arch] ?? 'amd64'}   (Go ${v}; or install Go ${GO_MIN_VERSION}+ from https://go.dev/dl)`,
    );
  }
  for (const tool of goBuilds) {
    if (tool.install.kind !== 'go-install') continue;
    const { packagePath, version, builds, installAs } = tool.install;
    commands.push(
      `GOTOOLCHAIN=local GOBIN=/tmp/mclab-gobin go install ${packagePath}@${version} && install -D -m 755 /tmp/mclab-gobin/${builds} ${installAs}`,
    );
  }
  commands.push('pnpm lab up');
  return commands;
}

export interface InstallOptions {
  probe: MachineProbe;
  run?: CommandRunner;
  onProgress?: (step: ProgressStep) => void;
  tools?: readonly Tool[];
  /** where the Go toolchain, GOPATH and module cache go (tests use a temp folder) */
  optDir?: string;
}

export interface InstallResult {
  /** ids of the tools that were missing and are now installed */
  installed: string[];
  report: DoctorReport;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armv6l', ia32: '386' };

/**
 * Installs whatever the doctor finds missing: one `apt-get update` and one `apt-get install`
 * for every Debian package, then a Go toolchain if there is no new enough Go, then the Go tools.
 * Not root: nothing is changed, and the error carries the exact commands to run.
 */
export async function installMissing(options: InstallOptions): Promise<InstallResult> {
  const tools = options.tools ?? TOOLS;
  const run = options.run ?? runCommand;
  const progress = options.onProgress ?? (() => undefined);
  const before = await runDoctor(options.probe, tools);
  const missing = tools.filter((t) => before.tools.find((s) => s.id === t.id)?.status !== 'ok');
  if (missing.length === 0) return { installed: [], report: before };

  const manual = missing.filter((t) => t.install.kind === 'manual');
  if (manual.length > 0) {
    const how = manual.map(
      (t) =>
        `${t.id}: ${before.tools.find((s) => s.id === t.id)?.found ?? 'missing'}; ${t.install.kind === 'manual' ? t.install.instructions : ''}`,
    );
    throw new LabError('LAB_MISSING_TOOL', `cannot install these from here:\n${how.map((h) => `  ${h}`).join('\n')}`);
  }

  const aptPackages = [...new Set(missing.flatMap((t) => (t.install.kind === 'apt' ? t.install.packages : [])))];
  const goToolchain = missing.find((t) => t.install.kind === 'go-toolchain');
  const goBuilds = missing.filter((t) => t.install.kind === 'go-install');
  // Debian's Go is only the bootstrap for the toolchain module; skip it when any Go is there.
  if (goToolchain?.install.kind === 'go-toolchain' && (await options.probe.goInstalls()).length === 0) {
    aptPackages.push(goToolchain.install.aptPackage);
  }

  if (!options.probe.isRoot) {
    const commands: string[] = [];
    if (aptPackages.length > 0)
      commands.push(`sudo apt-get update && sudo apt-get install -y --no-install-recommends ${aptPackages.join(' ')}`);
    if (goToolchain || goBuilds.length > 0) commands.push('sudo pnpm lab doctor --install');
    throw new NeedsRootError(commands);
  }

  const optDir = options.optDir ?? LAB_OPT_DIR;
  try {
    if (aptPackages.length > 0) await aptInstall(aptPackages, run, progress);
    if (goToolchain?.install.kind === 'go-toolchain')
      await installGoToolchain(goToolchain.install.version, optDir, options.probe, run, progress);
    for (const tool of goBuilds) await goInstall(tool, optDir, options.probe, run, progress);
  } catch (err) {
    // e.g. no package registry or Go module proxy reachable: stop, and say exactly what to run
    throw new InstallBlockedError(err, manualCommands(aptPackages, goToolchain, goBuilds));
  }

  const after = await runDoctor(options.probe, tools);
  const still = after.tools.filter((s) => s.status !== 'ok');
  if (still.length > 0) {
    throw new LabError(
      'LAB_INSTALL_FAILED',
      `installed, but still missing: ${still.map((s) => `${s.id} (${s.found ?? 'not found'})`).join(', ')}`,
    );
  }
  return { installed: missing.map((t) => t.id), report: after };
}

async function aptInstall(packages: string[], run: CommandRunner, progress: (s: ProgressStep) => void): Promise<void> {
  // noninteractive: no debconf questions (tshark asks about capture rights); the lock timeout
  // waits for an apt run that is already going instead of failing at once.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  progress({ phase: 'apt', detail: 'updating package lists' });
  await run('apt-get', [...lock, 'update', '-qq'], { env });
  progress({ phase: 'apt', detail: `installing ${packages.join(' ')} (this can take a few minutes)` });
  await run('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
  progress({ phase: 'apt', detail: `installed ${packages.join(' ')}`, done: true });
}

function goEnv(goPath: string, optDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GOPATH: join(optDir, 'gopath'),
    GOFLAGS: '-buildvcs=false -modcacherw',
    ...extra,
    PATH: `${join(goPath, '..')}:${process.env.PATH ?? ''}`,
  };
}

/**
 * Fetches golang.org/toolchain@v0.0.1-go<version>.linux-<arch> (the Go team's own release,
 * served by the Go module proxy) with whatever Go is here, and links it as <optDir>/go. Module
 * zips drop the execute bits, so they are put back, as `go` itself does when it switches.
 */
async function installGoToolchain(
  version: string,
  optDir: string,
  probe: MachineProbe,
  run: CommandRunner,
  progress: (s: ProgressStep) => void,
): Promise<void> {
  const bootstrap = (await probe.goInstalls())[0];
  if (!bootstrap)
    throw new LabError('LAB_INSTALL_FAILED', 'no Go found to fetch the Go toolchain with', {
      hint: 'apt-get install -y golang-go',
    });
  const arch = GO_ARCH[process.arch];
  if (!arch)
    throw new LabError('LAB_INSTALL_FAILED', `no Go toolchain for ${process.arch}`, {
      hint: `install Go ${GO_MIN_VERSION}+ from https://go.dev/dl`,
    });
  const goRoot = join(optDir, 'go');
  const module = `golang.org/toolchain@v0.0.1-go${version}.linux-${arch}`;
  progress({ phase: 'go', detail: `fetching Go ${version} (${module}) with ${bootstrap.path} (go${bootstrap.version})` });
  const scratch = await mkdtemp(join(tmpdir(), 'mclab-go-'));
  try {
    const out = await run(bootstrap.path, ['mod', 'download', '-json', module], {
      cwd: scratch,
      env: goEnv(bootstrap.path, optDir, { GOMODCACHE: join(optDir, 'go-modcache') }),
    });
    const dir = (JSON.parse(out) as { Dir?: string }).Dir;
    if (!dir) throw new LabError('LAB_INSTALL_FAILED', `go mod download ${module} gave no folder:\n${out}`);
    for (const sub of ['bin', ...(await readdir(join(dir, 'pkg', 'tool'))).map((d) => join('pkg', 'tool', d))]) {
      for (const file of await readdir(join(dir, sub))) await chmod(join(dir, sub, file), 0o755).catch(() => undefined);
    }
    await mkdir(optDir, { recursive: true });
    await rm(goRoot, { force: true, recursive: true });
    await symlink(dir, goRoot);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  progress({ phase: 'go', detail: `Go ${version} in ${goRoot}`, done: true });
}

async function goInstall(
  tool: Tool,
  optDir: string,
  probe: MachineProbe,
  run: CommandRunner,
  progress: (s: ProgressStep) => void,
): Promise<void> {
  if (tool.install.kind !== 'go-install') return;
  const { packagePath, version, builds, installAs } = tool.install;
  const go = await findGo(probe, GO_MIN_VERSION);
  if (!go) throw new LabError('LAB_INSTALL_FAILED', `no Go to build ${tool.id} with`);
  progress({ phase: 'go', detail: `building ${tool.id}: go install ${packagePath}@${version} (go${go.version})` });
  const gobin = await mkdtemp(join(tmpdir(), 'mclab-gobin-'));
  try {
    const scratch = await mkdtemp(join(tmpdir(), 'mclab-gobuild-'));
    await run(go.path, ['install', `${packagePath}@${version}`], {
      cwd: scratch,
      env: goEnv(go.path, optDir, { GOBIN: gobin }),
    }).finally(() => rm(scratch, { recursive: true, force: true }));
    await mkdir(join(installAs, '..'), { recursive: true });
    await copyFile(join(gobin, builds), installAs);
    await chmod(installAs, 0o755);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
  progress({ phase: 'go', detail: `${tool.id} installed as ${installAs}`, done: true });
}
