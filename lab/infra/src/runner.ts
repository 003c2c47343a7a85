import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Where a third-party process runs. The default runs on this machine; the lab passes one that
 * wraps the command in `ip netns exec <ns>` so the same service code runs inside a host.
 */
export interface HostRunner {
  spawn(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; user?: string }): ChildProcess;
}

/** Runs on this machine; `user` switches account with runuser (we run as root in the lab). */
export const localRunner: HostRunner = {
  spawn(command, args, options) {
    const [cmd, argv] = options.user ? ['runuser', ['-u', options.user, '--', command, ...args]] : [command, args];
    return spawn(cmd, argv, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  },
};

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * A plain environment for third-party tools: PATH and locale only, nothing inherited by accident.
 * PATH always holds the system folders, the sbin ones too (squid lives there), whatever the
 * harness's own PATH is (an ordinary user's has no sbin).
 */
export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const own = (process.env.PATH ?? '').split(':').filter(Boolean);
  const path = [...own, ...SYSTEM_DIRS.filter((d) => !own.includes(d))].join(':');
  return { PATH: path, LANG: 'C.UTF-8', ...extra };
}
