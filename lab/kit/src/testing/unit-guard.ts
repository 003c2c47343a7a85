import childProcess from 'node:child_process';
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { basename } from 'node:path';
import { promisify } from 'node:util';

/**
 * Setup file of the unit tier (vitest.config.ts): a unit test runs in its own process only. It
 * starts no child process and opens no socket of any kind — TCP, UDP or unix, loopback included —
 * so it needs no tool, no root and no free port, and cannot wait on anything but itself. Instead
 * of trusting file names, this makes every way out throw, naming the rule and the fix.
 *
 * Patched at the lowest shared point, so wrappers are caught too: every TCP/TLS/unix client
 * (net.connect, tls.connect, http.request, undici, fetch, ws) goes through
 * net.Socket.prototype.connect, every server (net, tls, http, https) through
 * net.Server.prototype.listen, UDP through dgram.createSocket, and each child_process function is
 * wrapped because they call one another through private bindings.
 */

/**
 * The only programs a unit test may run: actionlint is a pure checker of files (no network, no
 * state), and the workflow test is the reason the tool is installed at all.
 */
export const UNIT_ALLOWED_COMMANDS: readonly string[] = ['actionlint'];

export class UnitTierViolation extends Error {
  override readonly name = 'UnitTierViolation';
}

function refuse(what: string): never {
  throw new UnitTierViolation(
    `unit tier: ${what} is not allowed. Unit tests start no child process and open no socket (loopback included); ` +
      'a test that needs one is a components test: take it off the unit list in vitest.tiers.ts, or drop `.unit` from its name ' +
      `(allowed programs: ${UNIT_ALLOWED_COMMANDS.join(', ')})`,
  );
}

type AnyFunction = (...args: never[]) => unknown;

function allowedCommand(file: unknown): boolean {
  return typeof file === 'string' && UNIT_ALLOWED_COMMANDS.includes(basename(file));
}

/** Installs the guard in this process (idempotent). */
export function installUnitGuard(): void {
  const cp = childProcess as unknown as Record<string, AnyFunction> & { __unitGuard?: true };
  if (cp.__unitGuard) return;
  cp.__unitGuard = true;

  // these take a program and its arguments: the allow-list applies
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync'] as const) {
    const original = cp[name]! as AnyFunction & { [promisify.custom]?: AnyFunction };
    const check = (file: unknown) => {
      if (!allowedCommand(file)) refuse(`child_process.${name}(${JSON.stringify(file)})`);
    };
    const guarded = function (this: unknown, ...args: unknown[]) {
      check(args[0]);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as AnyFunction & { [promisify.custom]?: AnyFunction };
    // execFile's own promisified form resolves to {stdout, stderr} and puts them on its errors
    const custom = original[promisify.custom];
    if (custom) {
      guarded[promisify.custom] = ((...args: unknown[]) => {
        check(args[0]);
        return (custom as (...a: unknown[]) => unknown)(...args);
      }) as AnyFunction;
    }
    cp[name] = guarded;
  }
  // these run a shell command line or another Node program: never
  for (const name of ['exec', 'execSync', 'fork'] as const) {
    cp[name] = ((...args: unknown[]) =>
      refuse(`child_process.${name}(${JSON.stringify(String(args[0]).slice(0, 80))})`)) as AnyFunction;
  }
  // `import { spawn } from 'node:child_process'` binds to the ESM facade: bring it up to date
  syncBuiltinESMExports();

  net.Socket.prototype.connect = ((...args: unknown[]) => {
    // net.connect() and tls.connect() hand over their arguments already normalised: [options, callback]
    const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const options =
      typeof first === 'object' && first !== null ? (first as { path?: string; host?: string; port?: number }) : undefined;
    const target = options
      ? (options.path ?? `${options.host ?? 'localhost'}:${options.port}`)
      : `${typeof second === 'string' ? second : 'localhost'}:${String(first)}`;
    refuse(`a socket connection to ${target}`);
  }) as typeof net.Socket.prototype.connect;

  net.Server.prototype.listen = (() => {
    refuse('listening on a socket (a server, loopback included)');
  }) as typeof net.Server.prototype.listen;

  const dgramModule = dgram as unknown as Record<string, AnyFunction>;
  dgramModule.createSocket = (() => refuse('a UDP socket (dgram.createSocket)')) as AnyFunction;
  syncBuiltinESMExports();
}

installUnitGuard();
