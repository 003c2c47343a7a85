import { Writable } from 'node:stream';
import { createLogger, ManualClock } from '@multiclaw-lab/kit';
import { freshDatabase } from '@multiclaw-lab/kit/testing';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.ts';

const quiet = createLogger({ service: 'cloud', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('migrations', () => {
  it('apply once even when two processes start at the same time, and record what ran', async () => {
    const url = await freshDatabase('cloud_migrate');
    const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
    const clock = new ManualClock(new Date('2026-04-01T00:00:00Z'));
    try {
      const [a, b] = await Promise.all(pools.map((pool) => migrate(pool, clock, quiet)));
      const all = ['001_initial.sql', '002_used_wss_tokens.sql', '003_invitations.sql', '004_realtime_cluster.sql'];
      expect([...a!, ...b!].sort()).toEqual(all);
      expect(await migrate(pools[0]!, clock, quiet)).toEqual([]);
      const { rows } = await pools[0]!.query('SELECT name, applied_at FROM schema_migrations');
      expect(rows).toEqual(all.map((name) => ({ name, applied_at: new Date('2026-04-01T00:00:00Z') })));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
