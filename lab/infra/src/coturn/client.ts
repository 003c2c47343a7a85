/**
 * coturn's own test client, `turnutils_uclient`, in client-to-client mode (-y): it allocates
 * two relays, binds channels between them and sends a few messages through the relay. Exit
 * code 0 means allocation and relaying worked; a refused credential exits at once with
 * "Cannot complete Allocation". Over TLS (-S) this 4.6.1 client stalls with OpenSSL 3 ("bad
 * write retry", sometimes before allocating): use turnAllocate (allocate.ts) for TLS instead.
 */
import { once } from 'node:events';
import { ProcessHandle } from '@multiclaw-lab/kit';
import { type HostRunner, toolEnv } from '../runner.ts';

export interface TurnClientOptions {
  server: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  username: string;
  credential: string;
  messages?: number;
}

export function startTurnClient(runner: HostRunner, options: TurnClientOptions): ProcessHandle {
  const args = [
    '-y',
    '-c',
    '-n',
    String(options.messages ?? 2),
    '-p',
    String(options.port),
    '-u',
    options.username,
    '-w',
    options.credential,
  ];
  if (options.transport !== 'udp') args.unshift('-t');
  if (options.transport === 'tls') args.unshift('-S');
  const child = runner.spawn('turnutils_uclient', [...args, options.server], { env: toolEnv() });
  return new ProcessHandle(`turnutils_uclient-${options.transport}`, child);
}

/** Runs the client to completion (UDP/TCP) and returns its exit code and output. */
export async function runTurnClient(
  runner: HostRunner,
  options: TurnClientOptions,
): Promise<{ code: number | null; output: string }> {
  const handle = startTurnClient(runner, options);
  // 'close' comes after the last output line was read, unlike 'exit'
  await once(handle.child, 'close');
  return { code: handle.exitCode, output: handle.tail(200) };
}
