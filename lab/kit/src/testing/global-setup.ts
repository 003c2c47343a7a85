import type { TestProject } from 'vitest/node';
import { startPostgres } from '../postgres.ts';

/**
 * One PostgreSQL cluster for the whole test run; each test file makes its own database
 * with `freshDatabase()` from `@multiclaw-lab/kit/testing`.
 */
export default async function setup(project: TestProject) {
  const cluster = await startPostgres();
  project.provide('pgAdminUrl', cluster.adminUrl);
  return async () => {
    await cluster.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}
