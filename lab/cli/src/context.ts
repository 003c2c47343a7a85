import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AwsAccess, systemAwsAccess } from './aws-access.ts';
import { type DockerAccess, systemDockerAccess } from './docker-access.ts';
import { type LabModule, loadLabModule } from './lab-api.ts';
import { type LabPaths, labPaths } from './state.ts';
import type { CommandRunner } from './tools/install.ts';
import type { MachineProbe } from './tools/probe.ts';
import { systemProbe } from './tools/probe.ts';

/**
 * Everything a command touches outside its own logic, in one object so tests swap any of it:
 * where state lives, the output streams, root or not, the machine probe, the Lab module, the
 * Docker daemon and how labd is started.
 */
export interface CliContext {
  paths: LabPaths;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isRoot: boolean;
  probe: MachineProbe;
  loadLab: () => Promise<LabModule>;
  /** starts labd detached with these arguments, stdout and stderr into the open file `logFd` */
  spawnLabd: (args: string[], logFd: number) => ChildProcess;
  /** network namespaces on the machine (to spot a lab left without state) */
  listNamespaces: () => Promise<string[]>;
  /** the Docker daemon: whether it answers, its set-up, removing a docker lab by its labels */
  docker: DockerAccess;
  /** how long `lab up` waits for labd to report the lab up */
  upTimeoutMs: number;
  /** runs the installers (apt-get, go) for `lab up`; tests inject one, the default runs them */
  runInstall?: CommandRunner;
  /** AWS and Pulumi, for `lab deploy`, `lab up --driver aws` and the doctor (absent: those refuse) */
  aws?: AwsAccess;
}

export const LABD_ENTRY = fileURLToPath(new URL('./labd.ts', import.meta.url));

const run = promisify(execFile);

export function systemContext(): CliContext {
  const paths = labPaths();
  return {
    paths,
    aws: systemAwsAccess(paths.root),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isRoot: process.getuid?.() === 0,
    probe: systemProbe(),
    loadLab: loadLabModule,
    // detached: its own session (setsid), so a Ctrl-C or a closed terminal does not reach it
    spawnLabd: (args, logFd) =>
      spawn(process.execPath, [LABD_ENTRY, ...args], { detached: true, stdio: ['ignore', logFd, logFd] }),
    listNamespaces: () =>
      run('ip', ['netns', 'list'])
        .then(({ stdout }) =>
          stdout
            .split('\n')
            .map((l) => l.split(' ')[0]!)
            .filter(Boolean),
        )
        .catch(() => []),
    docker: systemDockerAccess(),
    upTimeoutMs: 15 * 60_000,
  };
}

/** A progress line on stderr, so `--json` output on stdout stays clean. */
export function progressLine(ctx: CliContext, phase: string, detail: string): void {
  ctx.stderr(`[lab] ${phase}: ${detail}\n`);
}
