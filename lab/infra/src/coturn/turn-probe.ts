/**
 * turnAllocate as a command, for running inside a lab host (`node turn-probe.ts '<options JSON>'`):
 * the relay must be asked from where a client would ask it, not from the harness. Prints the
 * result as one JSON line. Imports nothing but allocate.ts (and Node), so it starts fast.
 */
import { type AllocateOptions, turnAllocate } from './allocate.ts';

/** this file's path, for `lab.exec(host, [process.execPath, TURN_PROBE, JSON.stringify(options)])` */
export const TURN_PROBE = new URL(import.meta.url).pathname;

if (process.argv[1] === TURN_PROBE) {
  const options = JSON.parse(process.argv[2] ?? '{}') as AllocateOptions;
  process.stdout.write(`${JSON.stringify(await turnAllocate(options))}\n`);
}
