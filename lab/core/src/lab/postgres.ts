import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findPostgresBin, LabError } from '@multiclaw-lab/kit';
import { type LabDriver, SYSTEM_PATH } from '@multiclaw-lab/network';
import { labCacheDir } from '../component-bundles.ts';
import { pgIsReady } from './health.ts';
import type { ServiceDef } from './service.ts';

/**
 * PostgreSQL for the lab: a throwaway cluster in the db host, listening only on its
 * cloud-private address, accepting only the cloud's address. It runs as the `postgres` account
 * (PostgreSQL refuses root), so its folder is owned by that account.
 */
export async function preparePostgres(
  /** the folder is made ready inside the db host, so this waits for the hosts */
  driver: LabDriver | Promise<LabDriver>,
  /** maxConnections: PostgreSQL's max_connections (default 100) */
  options: { dir: string; listen: string; allow: string; maxConnections?: number },
): Promise<{ def: Omit<ServiceDef, 'id' | 'host'>; databaseUrl: (db: string) => string }> {
  const dataDir = join(options.dir, 'data');
  const socketDir = join(options.dir, 'sock');
  const host = await driver;
  // The folder is made ready inside the db host, as its root: the postgres account there owns it
  // (its id is the host's own, whatever the harness's machine calls it), and a harness that is not
  // root could not hand a folder to another account anyway.
  const inDb = async (what: string, script: string, args: string[]) => {
    const r = await host.exec('db', 'sh', ['-c', script, 'sh', ...args], {
      env: { PATH: SYSTEM_PATH },
      user: 'root',
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new LabError('LAB_POSTGRES_FAILED', `${what} in host db failed: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  };
  await inDb(
    'preparing the PostgreSQL folder',
    'id -u postgres >/dev/null 2>&1 || { echo "there is no postgres system account" >&2; exit 3; }; mkdir -p "$2" && chown postgres: "$1" "$2"',
    [options.dir, socketDir],
  ).catch((err: LabError) => {
    if (/no postgres system account/.test(err.message))
      throw new LabError('LAB_NO_POSTGRES_ACCOUNT', 'there is no postgres system account', {
        hint: 'apt-get install -y postgresql',
      });
    throw err;
  });
  await inDb('checking the postgres account reaches the state folder', 'runuser -u postgres -- test -w "$1"', [
    options.dir,
  ]).catch((err: LabError) => {
    throw new LabError('LAB_STATE_NOT_SEARCHABLE', `the postgres account cannot reach ${options.dir} (${err.message})`, {
      hint: 'every folder above the lab state folder must be searchable by other users (chmod o+x on it)',
    });
  });
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
    // the copy belongs to whoever made the template: the db host's postgres account takes it
    await inDb('copying the cached cluster', 'cp -a "$1" "$2" && chown -R postgres: "$2"', [template, dataDir]);
  } else {
    const initdb = await host.exec('db', initdbBin, ['-D', dataDir, ...initdbArgs], {
      user: 'postgres',
      env: { PATH: process.env.PATH },
      timeoutMs: 60_000,
    });
    if (initdb.code !== 0) throw new LabError('LAB_POSTGRES_FAILED', `initdb in host db failed: ${initdb.stderr.trim()}`);
    const tmp = `${template}.${process.pid}.tmp`;
    await mkdir(dirname(template), { recursive: true });
    await inDb('caching the fresh cluster', 'cp -a "$1" "$2" && mv "$2" "$3"', [dataDir, tmp, template]).catch(() =>
      rm(tmp, { recursive: true, force: true }),
    );
  }
  // Only the cloud may connect, over the cloud-private segment.
  await inDb('configuring the cluster', 'printf "%s" "$2" > "$1/pg_hba.conf" && printf "%s" "$3" >> "$1/postgresql.conf"', [
    dataDir,
    `local all all trust\nhost all lab ${options.allow}/32 trust\n`,
    `\nfsync = off\nmax_connections = ${options.maxConnections ?? 100}\n`,
  ]);
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
