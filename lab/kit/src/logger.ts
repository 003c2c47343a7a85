import pino, { type DestinationStream, type Logger } from 'pino';
import { mutantOn } from './mutant.ts';

/**
 * Every component logs structured JSON through this logger. Secrets are removed here, in one walk
 * over each line's fields and a child logger's bindings: a value under any of SECRET_KEYS (at any
 * depth up to 5) is replaced whole, and any string that looks like a MultiClaw credential, a WSS
 * token or an LLM key is masked wherever it appears (messages, error texts, URLs).
 *
 * The walk does what pino's path redaction did (and deeper) for a fraction of the cost: wildcard
 * paths to depth 4 for 18 keys took about a fifth of the cloud's CPU in a reconnect storm.
 */
export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

export const SECRET_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'apiKey',
  'api_key',
  'token',
  'authToken',
  'bearer',
  'secret',
  'credential',
  'instanceToken',
  'sessionToken',
  'masterKey',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'sec-websocket-protocol',
] as const;

const SECRET_KEY_SET: ReadonlySet<string> = new Set(SECRET_KEYS);

/**
 * Shapes of secrets the lab's components handle. Masking keeps a short prefix so a log still
 * says which kind of credential was involved.
 */
const SECRET_PATTERNS: RegExp[] = [
  /\bmc[bgi]_[A-Za-z0-9_-]{8,}/g, // MultiClaw long-lived credentials
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g, // JWTs (WSS tokens)
  /\bsk-[A-Za-z0-9_-]{8,}/g, // LLM provider keys
  /\btoken\.[A-Za-z0-9_.-]{16,}/g, // WSS token in a subprotocol header
  /\benc:[A-Za-z0-9_-]{16,}/g, // sealed values: not secret, but nothing a log needs
];

export function scrubSecrets(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, (m) => `${m.slice(0, 4)}${REDACTED}`);
  return out;
}

function scrubDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    // the cause is kept: undici's "fetch failed" says nothing without it (ECONNREFUSED, a certificate error…)
    return {
      type: value.name,
      message: scrubSecrets(value.message),
      code: (value as { code?: unknown }).code,
      stack: value.stack && scrubSecrets(value.stack),
      ...(value.cause === undefined ? {} : { cause: scrubDeep(value.cause, depth + 1) }),
    };
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY_SET.has(k) ? REDACTED : scrubDeep(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  /** component name, e.g. "cloud", "gateway" */
  service: string;
  level?: string;
  /** fields on every line, e.g. { host: 'desk-1' } */
  base?: Record<string, unknown>;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  if (mutantOn('logger-redaction-off')) return createUnredactedLogger(options);
  const logger = pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: options.service, pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      // errors are already turned into plain, scrubbed objects by formatters.log (scrubDeep)
      serializers: { err: (err: unknown) => err },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => scrubDeep(bindings, 0) as Record<string, unknown>,
        log: (object) => scrubDeep(object, 0) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  // pino applies formatters.bindings to the root's bindings only: a child's (a framework's
  // per-request logger, say) are scrubbed on their way in. Children inherit this method, and
  // `this` is the logger being asked for a child.
  const child = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrubDeep(bindings, 0) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

/** The defect of mutant `logger-redaction-off`: the same JSON lines with nothing redacted. */
function createUnredactedLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: options.service, pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The line every service logs once it accepts connections; harnesses wait for it. */
export function logReady(logger: Logger, fields: Record<string, unknown>): void {
  logger.info({ event: 'ready', ...fields }, 'ready');
}
