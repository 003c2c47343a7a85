/**
 * Run before coturn on the relay instance (as the relay's account, from the bundle): writes its
 * configuration (turnserver-conf.ts) into a 0600 file, the shared secret read from the file
 * TURN_STATIC_AUTH_SECRET_FILE names. coturn takes its secret only from the configuration or the
 * command line, and the command line is visible to every process; so the file is made here, at
 * start, never in the start-up script.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { TurnConfigError, turnserverConf } from './turnserver-conf.ts';

function stop(fields: Record<string, unknown>): never {
  process.stdout.write(`${JSON.stringify({ event: 'error', ...fields })}\n`);
  process.exit(2);
}

const out = process.env.TURN_CONFIG_OUT || stop({ code: 'config.missing', variable: 'TURN_CONFIG_OUT' });
const secretFile =
  process.env.TURN_STATIC_AUTH_SECRET_FILE || stop({ code: 'config.missing', variable: 'TURN_STATIC_AUTH_SECRET_FILE' });
try {
  const text = turnserverConf(process.env, readFileSync(secretFile, 'utf8').trim(), out);
  writeFileSync(`${out}.new`, text, { mode: 0o600 });
  renameSync(`${out}.new`, out);
} catch (err) {
  if (err instanceof TurnConfigError) stop({ code: err.code, message: err.message });
  throw err;
}
process.stdout.write(`${JSON.stringify({ event: 'coturn.config', path: out })}\n`);
