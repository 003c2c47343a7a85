/**
 * The cloud under measurement, as its own process so its memory is not mixed with the
 * clients': the reference cloud's `startCloud` plus a memory probe on stdin. Started by
 * cloud-child.ts with `--expose-gc`; configured by environment variables:
 *   DATABASE_URL, BENCH_TLS_CERT_FILE, BENCH_TLS_KEY_FILE   (required)
 *   BENCH_HEARTBEAT_INTERVAL_MS                              (default: protocol HEARTBEAT)
 *   LOG_LEVEL                                                (the cloud's log level)
 * A stdin line `{"cmd":"memory","id":N}` is answered with a log line
 * `{"event":"bench.memory","id":N,...process.memoryUsage() after a full GC}`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { startCloud } from '@multiclaw-lab/cloud';
import { createLogger, logReady } from '@multiclaw-lab/kit';
import { HEARTBEAT } from '@multiclaw-lab/protocol';
import { exitWithParent } from './exit-with-parent.ts';

// The probe's own lines are always logged, whatever level the cloud logs at.
const benchLogger = createLogger({ service: 'bench-cloud', level: 'info' });

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    benchLogger.fatal({ event: 'config.missing', variable: name }, `${name} is not set`);
    process.exit(2);
  }
  return value;
}

const intervalMs = Number(process.env.BENCH_HEARTBEAT_INTERVAL_MS || HEARTBEAT.intervalMs);
const cloud = await startCloud({
  databaseUrl: requiredEnv('DATABASE_URL'),
  host: '127.0.0.1',
  port: 0,
  tls: { cert: readFileSync(requiredEnv('BENCH_TLS_CERT_FILE')), key: readFileSync(requiredEnv('BENCH_TLS_KEY_FILE')) },
  secrets: { tokenSecret: randomBytes(32), masterKey: randomBytes(32), turnSecret: randomBytes(24).toString('base64url') },
  heartbeat: { intervalMs, timeoutMs: HEARTBEAT.timeoutMs },
  // Accounts are fixtures here, not what is measured: the cheapest bcrypt cost bcrypt allows.
  bcryptCost: 4,
  logger: createLogger({ service: 'cloud' }),
});

const gc = (globalThis as { gc?: () => void }).gc;
const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  let id: unknown;
  try {
    ({ id } = JSON.parse(line) as { id?: unknown });
  } catch {
    benchLogger.warn({ event: 'bench.bad_command' }, 'stdin line is not JSON');
    return;
  }
  // A full collection first, so the figures are live memory rather than garbage not yet swept.
  gc?.();
  benchLogger.info({ event: 'bench.memory', id, gcForced: gc !== undefined, ...process.memoryUsage() }, 'memory');
});

exitWithParent(commands, () => cloud.close());

logReady(benchLogger, { url: cloud.url, port: cloud.port, heartbeatIntervalMs: intervalMs });
