import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDatabase } from '../postgres.ts';

/** A new, empty database on the run's PostgreSQL cluster (see global-setup.ts). */
export async function freshDatabase(prefix = 'test'): Promise<string> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  return createDatabase(inject('pgAdminUrl'), name);
}
