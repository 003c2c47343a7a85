import { readFileSync } from 'node:fs';
import type { Logger } from '@multiclaw-lab/kit';
import { LabError } from '@multiclaw-lab/kit';

/** Reads a required environment variable, or stops with a message that names it. */
export function requiredEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new LabError('LAB_MISSING_ENV', `${name} is not set`, { hint: `set it to ${what}` });
  return value;
}

export function fileFromEnv(name: string, what: string): string {
  const path = requiredEnv(name, what);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new LabError('LAB_UNREADABLE_FILE', `${name}=${path} cannot be read`, { hint: `point it at ${what}`, cause: err });
  }
}

export function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new LabError('LAB_BAD_ENV', `${name}=${raw} is not a port`, { hint: 'use 0–65535 (0 = any free port)' });
  }
  return port;
}

/** Closes the service on SIGTERM/SIGINT and exits 0; a second signal exits at once. */
export function closeOnSignals(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ event: 'shutdown', signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'shutdown.failed', err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Runs a process entry; a start-up failure is logged as one JSON line and exits 1. */
export async function runMain(logger: Logger, start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  try {
    const handle = await start();
    closeOnSignals(logger, () => handle.close());
  } catch (err) {
    logger.fatal({ event: 'start.failed', err }, 'could not start');
    process.exit(1);
  }
}
