import type { Clock, Logger } from '@multiclaw-lab/kit';
import { HEARTBEAT } from '@multiclaw-lab/protocol';
import type { KeyProvider } from './crypto/key-provider.ts';

export interface LockoutPolicy {
  /** failed sign-ins that lock the account… */
  maxFailures: number;
  /** …when they fall within this window, counted from the first failure */
  windowSeconds: number;
  /** how long the account then stays locked */
  lockSeconds: number;
}

export interface CloudOptions {
  databaseUrl: string;
  tls: {
    cert: string | Buffer;
    key: string | Buffer;
    /**
     * 48 bytes that encrypt the TLS session tickets this process issues. Instances behind one
     * balancer share them, so a client resumes its session on whichever instance it reaches, as
     * with one TLS endpoint; default: keys of this process's own.
     */
    ticketKeys?: Buffer;
  };
  /** default 127.0.0.1 */
  host?: string;
  /** default 0 (any free port); the process entry defaults to 443 */
  port?: number;
  secrets: {
    /** HS256 key of WSS tokens */
    tokenSecret: Uint8Array | string;
    /** 32-byte AES-256 master key for secrets at rest (ignored when keyProvider is given) */
    masterKey: Buffer;
    /** coturn static-auth-secret */
    turnSecret: string;
  };
  turnUrls?: string[];
  turnTtlSeconds?: number;
  clock?: Clock;
  /** this process's name among the cloud processes sharing the database (the `node` in its log lines); default `cloud` */
  nodeName?: string;
  logger?: Logger;
  /** how often open sessions are checked against their token's expiry (default 1000 ms) */
  sweepIntervalMs?: number;
  heartbeat?: { intervalMs: number; timeoutMs: number };
  lockout?: Partial<LockoutPolicy>;
  /** bcrypt cost (default 10) */
  bcryptCost?: number;
  /** largest REST body in bytes (default 256 KiB) */
  bodyLimitBytes?: number;
  /** a KMS-backed provider can replace the local master key */
  keyProvider?: KeyProvider;
  /**
   * Web origins (`scheme://host[:port]`, matched exactly) whose pages may call the REST API
   * cross-origin, e.g. a browser viewer. Default none: no CORS headers at all.
   */
  corsOrigins?: string[];
}

export interface CloudHandle extends AsyncDisposable {
  url: string;
  port: number;
  /** closes every session whose WSS token has expired (4001); returns how many */
  sweepNow(): number;
  close(): Promise<void>;
}

export interface Settings {
  lockout: LockoutPolicy;
  bcryptCost: number;
  heartbeat: { intervalMs: number; timeoutMs: number };
  sweepIntervalMs: number;
  turnUrls: string[];
  turnTtlSeconds: number;
  turnSecret: string;
  bodyLimitBytes: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, windowSeconds: 15 * 60, lockSeconds: 15 * 60 };

export function settingsFrom(options: CloudOptions): Settings {
  return {
    // A field given as `undefined` keeps its default (a spread alone would overwrite it).
    lockout: {
      ...DEFAULT_LOCKOUT,
      ...Object.fromEntries(Object.entries(options.lockout ?? {}).filter(([, v]) => v !== undefined)),
    },
    bcryptCost: options.bcryptCost ?? 10,
    heartbeat: options.heartbeat ?? { ...HEARTBEAT },
    sweepIntervalMs: options.sweepIntervalMs ?? 1_000,
    turnUrls: options.turnUrls ?? [],
    turnTtlSeconds: options.turnTtlSeconds ?? 60 * 60,
    turnSecret: options.secrets.turnSecret,
    bodyLimitBytes: options.bodyLimitBytes ?? 256 * 1024,
  };
}
