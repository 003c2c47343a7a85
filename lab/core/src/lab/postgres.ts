import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { findPostgresBin, LabError } from '@multiclaw-lab/kit';
import type { LabDriver } from '@multiclaw-lab/network';
import { labCacheDir } from '../component-bundles.ts';
import { pgIsReady } from './health.ts';
import type { ServiceDef } from './service.ts';

const run = promisify(execFile);

/**
 * PostgreSQL for the lab: a throwaway cluster in the db host, listening only on its
 * cloud-private address, accepting only the cloud's address. It runs as the `postgres` account
 * (PostgreSQL refuses root), so its folder is owned by that account.
 */
export async function preparePostgres(
  /** only needed when there is no cached cluster yet, so the cluster can be copied while the hosts are made */
  driver: LabDriver | Promise<LabDriver>,
  options: { dir: string; listen: string; allow: string },
): Promise<{ def: Omit<ServiceDef, 'id' | 'host'>; databaseUrl: (db: string) => string }> {
  const dataDir = join(options.dir, 'data');
  const socketDir = join(options.dir, 'sock');
  await mkdir(socketDir, { recursive: true });
  const ids = await run('id', ['-u', 'postgres']).catch(() => {
    throw new LabError('LAB_NO_POSTGRES_ACCOUNT', 'there is no postgres system account', {
      hint: 'apt-get install -y postgresql',
    });
  });
  const uid = Number(ids.stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(options.dir, uid, gid);
  await chown(socketDir, uid, gid);
  const reachable = await run('runuser', ['-u', 'postgres', '--', 'test', '-w', options.dir]).then(
    () => true,
    () => false,
  );
  if (!reachable) {
    throw new LabError('LAB_STATE_NOT_SEARCHABLE', `the postgres account cannot reach ${options.dir}`, {
      hint: 'every folder above the lab state folder must be searchable by other users (chmod o+x on it)',
    });
  }
  // initdb takes seconds and makes the same empty cluster every time: the first lab keeps a copy
  // of its fresh cluster in the cache, later ones copy that (a tenth of a second)
  const initdbBin = findPostgresBin('initdb');
  // 1 MB WAL segments instead of 16: the first segment is most of an empty cluster's files
  const initdbArgs = ['-U', 'lab', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C', '--wal-segsize=1'];
  const binary = await stat(initdbBin);
  const key = createHash('sha256')
    .update(JSON.stringify([initdbBin, binary.size, binary.mtimeMs, initdbArgs]))
    .digest('hex')
    .slice(0, 16);
  const template = join(labCacheDir(), 'postgres', key);
  if (existsSync(template)) {
    await run('cp', ['-a', template, dataDir]);
  } else {
    const initdb = await (await driver).exec('db', initdbBin, ['-D', dataDir, ...initdbArgs], {
      user: 'postgres',
      env: { PATH: process.env.PATH },
      timeoutMs: 60_000,
    });
    if (initdb.code !== 0) throw new LabError('LAB_POSTGRES_FAILED', `initdb in host db failed: ${initdb.stderr.trim()}`);
    const tmp = `${template}.${process.pid}.tmp`;
    await mkdir(dirname(template), { recursive: true });
    await run('cp', ['-a', dataDir, tmp])
      .then(() => rename(tmp, template))
      .catch(() => rm(tmp, { recursive: true, force: true }));
  }
  // Only the cloud may connect, over the cloud-private segment.
  await writeFile(join(dataDir, 'pg_hba.conf'), `local all all trust\nhost all lab ${options.allow}/32 trust\n`);
  await appendFile(join(dataDir, 'postgresql.conf'), '\nfsync = off\nmax_connections = 100\n');
  return {
    def: {
      kind: 'postgres',
      command: findPostgresBin('postgres'),
      args: ['-D', dataDir, '-c', `listen_addresses=${options.listen}`, '-c', 'port=5432', '-k', socketDir],
      env: { PATH: process.env.PATH, LANG: 'C' },
      user: 'postgres',
      // SIGTERM is PostgreSQL's "smart" shutdown, which waits for the cloud's pooled connections
      stopSignal: 'SIGINT',
      ready: (line) => line.text.includes('database system is ready to accept connections'),
      // from the cloud, the only host allowed in, over the cloud-private segment
      health: pgIsReady('cloud', options.listen),
    },
    databaseUrl: (db) => `postgres://lab@${options.listen}:5432/${db}`,
  };
}
