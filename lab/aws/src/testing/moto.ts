/**
 * moto, the AWS API stand-in, as a real server on 127.0.0.1 for the aws driver's tests: started
 * from the venv scripts/bootstrap.sh makes, on a free port, ready when it says where it listens,
 * stopped by its PID. Nothing in a test that uses it can reach AWS: every client gets this
 * endpoint and fixed fake credentials.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, launch, MissingToolError, type ProcessHandle } from '@multiclaw-lab/kit';
import type { AwsClientOptions } from '../ssm/clients.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const MOTO_SERVER = join(REPO_ROOT, 'node_modules/.cache/moto-venv/bin/moto_server');

/** moto's fixed answers need no real keys; these are the documented example keys. */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export interface Moto extends AsyncDisposable {
  readonly endpoint: string;
  readonly pid: number;
  /** client options that point the SDK at this moto */
  clientOptions(region: string): AwsClientOptions;
  /** forgets every resource (moto's own reset API) */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  if (!existsSync(MOTO_SERVER))
    throw new MissingToolError(
      'moto (the AWS API stand-in for tests)',
      'bash scripts/bootstrap.sh installs it into node_modules/.cache/moto-venv',
    );
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const handle: ProcessHandle = await launch({
    name: 'moto',
    spawn: () =>
      spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        // moto asks for no credentials of its own; nothing of the shell's AWS set-up may leak in
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      }),
    // werkzeug says where it listens once the socket is bound
    ready: (line) => line.text.includes(`Running on ${endpoint}`),
    readyTimeoutMs: 60_000,
  });
  const stop = () => handle.stop(5_000);
  return {
    endpoint,
    pid: handle.child.pid!,
    clientOptions: (region) => ({ region, endpoint, credentials: FAKE_CREDENTIALS }),
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
