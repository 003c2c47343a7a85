export * from './backoff.ts';
export * from './clock.ts';
export * from './errors.ts';
export * from './faketime.ts';
export * from './logger.ts';
export * from './postgres.ts';
export * from './process.ts';
export * from './trust.ts';
