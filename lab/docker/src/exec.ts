/**
 * Programs inside a container, through the docker command (the container counterpart of
 * `ip netns exec`): `docker exec -i` keeps stdio piped to the harness and ends when the program
 * ends, with its exit code. The program starts through in-host.sh, which gives it exactly the
 * harness's environment and writes its process id into the state folder, where the driver
 * reads it to signal the program inside the container (docker exec passes no signals on).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { HelperFailedError } from '@multiclaw-lab/network';

/**
 * in-host.sh's text, handed to `sh -c` rather than run from its file: a program run as another
 * account (postgres, nobody) could not read the file when the checkout sits in a folder only its
 * owner may enter (a 0700 temp folder, say).
 */
const IN_HOST = readFileSync(new URL('./in-host.sh', import.meta.url), 'utf8');
/** Node inside every lab host (the host image has the harness's own Node binary there) */
export const HOST_NODE = '/usr/local/bin/node';

/** the docker client's own settings (which daemon, which context), passed to it and never to the program */
function dockerClientEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('DOCKER_')));
}

/**
 * The docker command, found on the harness's PATH once: the client runs with the program's
 * environment (PATH included), which must not decide which docker runs.
 */
const DOCKER = (() => {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'docker');
    if (existsSync(candidate)) return candidate;
  }
  return 'docker';
})();

export interface ContainerSpawn {
  container: string;
  command: string;
  args: string[];
  /** the program's whole environment */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  user?: string;
  /** where in-host.sh writes the program's process id (a path in a folder both sides see) */
  pidFile: string;
}

export function spawnInContainer(spec: ContainerSpawn): ChildProcess {
  const keys = Object.keys(spec.env).filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  const argv = ['exec', '-i'];
  if (spec.user) argv.push('-u', spec.user);
  if (spec.cwd) argv.push('-w', spec.cwd);
  // `-e NAME` without a value: the docker client takes the value from its own environment, so
  // secrets in the environment never show on a command line
  for (const k of keys) argv.push('-e', k);
  argv.push(spec.container, 'sh', '-c', IN_HOST, 'in-host.sh', spec.pidFile, keys.join(' '), spec.command, ...spec.args);
  return spawn(DOCKER, argv, { env: { ...dockerClientEnv(), ...spec.env }, stdio: 'pipe' });
}

/** Runs a docker command to completion (stdin `input` if given). */
export function docker(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, args, { env: { ...process.env }, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(input ?? '');
  });
}

/**
 * The program's process id inside its container, once in-host.sh wrote it. A program that
 * ended before that never gets one.
 */
export async function readPid(pidFile: string, child: ChildProcess, what: string): Promise<number> {
  const deadline = Date.now() + 15_000;
  // the file appears within milliseconds of docker exec starting the shell: a short poll is
  // simpler than a watcher on a folder other programs write into too
  while (Date.now() < deadline) {
    if (existsSync(pidFile)) {
      const text = (await readFile(pidFile, 'utf8')).trim();
      if (/^\d+$/.test(text)) return Number(text);
    }
    if (child.exitCode !== null || child.signalCode !== null) break;
    await delay(10);
  }
  throw new HelperFailedError(`finding the process id of ${what}`, 'its container', 'it never started or ended at once');
}
