export * from './ca.ts';
export * from './files.ts';
