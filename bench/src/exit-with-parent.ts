import type { Interface } from 'node:readline';

/**
 * For a bench child process: closes its service and exits when the bench that started it goes
 * away, however it went (its stdin, read by `commands`, closes), or on SIGTERM/SIGINT. Never
 * outlives the bench.
 */
export function exitWithParent(commands: Interface, close: () => Promise<void>): void {
  let closing = false;
  const shutDown = () => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  commands.on('close', shutDown);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, shutDown);
}
