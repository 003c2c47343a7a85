export * from './ca.ts';
export * from './files.ts';
export * from './tls-policy.ts';
