import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from './testing/index.ts';

describe('test PostgreSQL', () => {
  it('gives each caller its own empty database on the run cluster', async () => {
    const a = await freshDatabase('kit');
    const b = await freshDatabase('kit');
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    const { rows } = await client.query('select current_database() as db');
    await client.end();
    expect(a.endsWith(`/${rows[0].db}`)).toBe(true);
  });
});
