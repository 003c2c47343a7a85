export { TOKEN_ISSUER, WssTokens } from './auth/wss-tokens.ts';
export type { KeyProvider } from './crypto/key-provider.ts';
export { LocalMasterKeyProvider, parseMasterKey } from './crypto/key-provider.ts';
export { MIGRATIONS_DIR, migrate } from './db/migrate.ts';
export type { CloudHandle, CloudOptions, LockoutPolicy } from './options.ts';
export { DEFAULT_LOCKOUT } from './options.ts';
export { startCloud } from './server.ts';
