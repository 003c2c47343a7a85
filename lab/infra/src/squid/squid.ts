import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@multiclaw-lab/kit';
import { InfraConfigError } from '../addresses.ts';
import { type HostRunner, toolEnv } from '../runner.ts';
import { ServiceProcess, startService } from '../service.ts';
import { type SquidConfig, squidConfig } from './config.ts';

export interface StartSquidOptions extends SquidConfig {
  logger?: Logger;
  readyTimeoutMs?: number;
}

/** One access-log line, as written by SQUID_LOG_FORMAT. */
export interface SquidAccess {
  time: number;
  client: string;
  method: string;
  url: string;
  host: string;
  status: number;
  action: string; // e.g. TCP_TUNNEL, TCP_DENIED
  hierarchy: string;
  bytes: number;
  durationMs: number;
}

export class SquidHandle extends ServiceProcess {
  readonly accessLogFile: string;
  readonly configFile: string;
  constructor(process: ServiceProcess['process'], stateDir: string) {
    super(process);
    this.accessLogFile = join(stateDir, 'access.log');
    this.configFile = join(stateDir, 'squid.conf');
  }
  /** parsed access log; squid writes a line when a request or tunnel ends */
  async accessLog(): Promise<SquidAccess[]> {
    const text = await readFile(this.accessLogFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as SquidAccess);
  }
  /** Resolves with the first access-log entry that matches; squid writes it when the request ends. */
  async waitForAccess(match: (entry: SquidAccess) => boolean, timeoutMs = 10_000): Promise<SquidAccess> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.accessLog()).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`squid logged no matching access within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50)); // a file, not an event: poll it
    }
  }
}

async function uidOf(user: string): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const entry = passwd.split('\n').find((l) => l.startsWith(`${user}:`));
  if (!entry) return undefined;
  const [, , uid, gid] = entry.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * `squid -N -d 1 -f FILE`: foreground, no workers (the pid is the proxy), level-1 messages on
 * stderr; ready when it logs "Accepting HTTP Socket connections".
 */
export async function startSquid(runner: HostRunner, options: StartSquidOptions): Promise<SquidHandle> {
  const text = squidConfig(options);
  await mkdir(options.stateDir, { recursive: true });
  const configFile = join(options.stateDir, 'squid.conf');
  await writeFile(configFile, text);
  // Started as root, squid writes its logs as its effective user: give it the state folder.
  if (userInfo().uid === 0) {
    const owner = await uidOf(options.effectiveUser ?? 'proxy');
    if (owner) await chown(options.stateDir, owner.uid, owner.gid);
  }
  const proc = await startService({
    runner,
    name: 'squid',
    command: 'squid',
    args: ['-N', '-d', '1', '-f', configFile],
    env: toolEnv(),
    isReady: (line) => line.text.includes('Accepting HTTP Socket connections'),
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  }).catch((err: unknown) => {
    if (err instanceof Error && /Cannot open .* for writing/.test(err.message))
      throw new InfraConfigError(`squid cannot write its logs in ${options.stateDir}`, {
        hint: `every folder above it must be searchable by ${options.effectiveUser ?? 'proxy'} (chmod o+x), e.g. not inside a 0700 mkdtemp folder`,
        cause: err,
      });
    throw err;
  });
  options.logger?.info(
    { event: 'squid.ready', pid: proc.pid, listen: `${options.listenHost}:${options.listenPort}` },
    'squid ready',
  );
  return new SquidHandle(proc, options.stateDir);
}
