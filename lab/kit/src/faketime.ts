/**
 * Per-process clock control with libfaketime: the process is started with the library
 * preloaded and reads its offset from a file on every clock call, so the harness moves that
 * process's wall clock while it runs. Monotonic clocks are left alone, or timers would stop or
 * fire early. Only preloaded processes are affected: PostgreSQL's now() is not,
 * which is why the cloud computes expiry itself.
 */
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MissingToolError } from './errors.ts';

let found: string | undefined;

/** Where libfaketime is (looked up once: every host's clock environment names it). */
export function findLibfaketime(): string {
  found ??= lookUpLibfaketime();
  return found;
}

function lookUpLibfaketime(): string {
  for (const base of ['/usr/lib', '/usr/local/lib']) {
    if (!existsSync(base)) continue;
    for (const dir of readdirSync(base)) {
      const candidate = join(base, dir, 'faketime', 'libfaketime.so.1');
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new MissingToolError('libfaketime', 'run: apt-get install -y libfaketime  (or bash scripts/bootstrap.sh)');
}

export function faketimeEnv(offsetFile: string): Record<string, string> {
  return {
    LD_PRELOAD: findLibfaketime(),
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** Sets the offset (seconds, may be negative) that processes reading `offsetFile` see. */
export async function writeClockOffset(offsetFile: string, seconds: number): Promise<void> {
  if (!Number.isInteger(seconds)) throw new RangeError('clock offsets are whole seconds');
  await writeFile(offsetFile, `${seconds >= 0 ? '+' : ''}${seconds}\n`);
}
