import { readFileSync } from 'node:fs';
import { createLogger, logReady } from '@multiclaw-lab/kit';
import { parseMasterKey, parseTicketKeys } from './crypto/key-provider.ts';
import { startCloud } from './server.ts';

/** Process entry: configuration from the environment (see README), secrets from files. */
// CLOUD_NODE names this process among several sharing one database (every log line carries it).
const nodeName = process.env.CLOUD_NODE || 'cloud';
const logger = createLogger({ service: 'cloud', base: { node: nodeName } });

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    logger.fatal({ event: 'config.missing', variable: name }, `${name} is not set: see lab/cloud/README.md`);
    process.exit(2);
  }
  return value;
}

function intFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    logger.fatal({ event: 'config.invalid', variable: name }, `${name} must be a non-negative integer`);
    process.exit(2);
  }
  return value;
}

function readSecretFile(variable: string): Buffer {
  const path = required(variable);
  try {
    return readFileSync(path);
  } catch (err) {
    logger.fatal({ event: 'config.unreadable', variable, path, err }, `cannot read the file named by ${variable}`);
    process.exit(2);
  }
}

/** CLOUD_CORS_ORIGINS: comma-separated origins, each exactly `scheme://host[:port]` */
function corsOriginsFromEnv(): string[] {
  const origins = (process.env.CLOUD_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: string | undefined;
    try {
      parsed = new URL(origin).origin;
    } catch {}
    if (parsed !== origin) {
      logger.fatal(
        { event: 'config.invalid', variable: 'CLOUD_CORS_ORIGINS', origin },
        'each CORS origin must be scheme://host[:port]',
      );
      process.exit(2);
    }
  }
  return origins;
}

const lockout = {
  maxFailures: intFromEnv('CLOUD_LOCKOUT_MAX_FAILURES'),
  windowSeconds: intFromEnv('CLOUD_LOCKOUT_WINDOW_SECONDS'),
  lockSeconds: intFromEnv('CLOUD_LOCKOUT_SECONDS'),
};
const heartbeatInterval = intFromEnv('CLOUD_HEARTBEAT_INTERVAL_MS');
const heartbeatTimeout = intFromEnv('CLOUD_HEARTBEAT_TIMEOUT_MS');

const cloud = await startCloud({
  databaseUrl: required('DATABASE_URL'),
  host: process.env.CLOUD_HOST || '127.0.0.1',
  port: intFromEnv('CLOUD_PORT') ?? 443,
  tls: {
    cert: readSecretFile('CLOUD_TLS_CERT_FILE'),
    key: readSecretFile('CLOUD_TLS_KEY_FILE'),
    ...(process.env.CLOUD_TLS_TICKET_KEYS_FILE
      ? { ticketKeys: parseTicketKeys(readSecretFile('CLOUD_TLS_TICKET_KEYS_FILE')) }
      : {}),
  },
  secrets: {
    tokenSecret: new Uint8Array(readSecretFile('CLOUD_TOKEN_SECRET_FILE')),
    masterKey: parseMasterKey(readSecretFile('CLOUD_MASTER_KEY_FILE')),
    turnSecret: readSecretFile('CLOUD_TURN_SECRET_FILE').toString('utf8').trim(),
  },
  turnUrls: (process.env.CLOUD_TURN_URLS ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean),
  turnTtlSeconds: intFromEnv('CLOUD_TURN_TTL_SECONDS'),
  sweepIntervalMs: intFromEnv('CLOUD_SWEEP_INTERVAL_MS'),
  heartbeat:
    heartbeatInterval !== undefined || heartbeatTimeout !== undefined
      ? { intervalMs: heartbeatInterval ?? 15_000, timeoutMs: heartbeatTimeout ?? 10_000 }
      : undefined,
  lockout: Object.fromEntries(Object.entries(lockout).filter(([, v]) => v !== undefined)),
  bcryptCost: intFromEnv('CLOUD_BCRYPT_COST'),
  corsOrigins: corsOriginsFromEnv(),
  nodeName,
  logger,
}).catch((err: unknown) => {
  // e.g. the database is unreachable: say so in one JSON line and exit non-zero
  logger.fatal({ event: 'start_failed', err }, 'could not start');
  process.exit(1);
});
logReady(logger, { url: cloud.url, port: cloud.port });

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'signal', signal }, 'shutting down');
    cloud.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'shutdown_failed', err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}
