import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { LabError, MissingToolError } from './errors.ts';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl from the system's PostgreSQL), owned by the
 * `postgres` account when we are root because PostgreSQL refuses to run as root.
 */
export interface PostgresCluster extends AsyncDisposable {
  /** superuser URL of the `postgres` database */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** creates a fresh database and returns its URL */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function findPostgresBin(tool: 'initdb' | 'pg_ctl' | 'postgres'): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const p = join(base, v, 'bin', tool);
      if (existsSync(p)) return p;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, tool);
    if (dir && existsSync(p)) return p;
  }
  throw new MissingToolError(`PostgreSQL (${tool})`, 'run: apt-get install -y postgresql  (or bash scripts/bootstrap.sh)');
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new LabError('LAB_NO_PORT', 'could not find a free port');
  return address.port;
}

async function asPostgresUser(cmd: string, args: string[]): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  try {
    if (isRoot) await run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
    else await run(cmd, args);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new LabError('LAB_POSTGRES_FAILED', `${cmd} ${args[0] ?? ''} failed: ${e.stderr?.trim() || e.message}`, {
      hint: isRoot ? 'the postgres system account must exist (it comes with the postgresql package)' : undefined,
      cause: err,
    });
  }
}

export async function startPostgres(options: { host?: string; port?: number } = {}): Promise<PostgresCluster> {
  const initdb = findPostgresBin('initdb');
  const pgCtl = findPostgresBin('pg_ctl');
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const root = await mkdtemp(join(tmpdir(), 'mclab-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  await mkdir(socketDir);
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new LabError('LAB_NO_POSTGRES_ACCOUNT', 'no postgres system account', { hint: 'apt-get install -y postgresql' });
    });
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    const uid = Number(stdout.trim());
    await chmod(root, 0o755);
    await chown(root, uid, Number(gid.trim()));
    await chown(socketDir, uid, Number(gid.trim()));
  }
  await asPostgresUser(initdb, ['-D', dataDir, '-U', 'lab', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  await asPostgresUser(pgCtl, [
    'start',
    '-w',
    '-D',
    dataDir,
    '-l',
    join(root, 'postgres.log'),
    '-o',
    `-c listen_addresses=${host} -c port=${port} -k ${socketDir} -c fsync=off -c max_connections=200`,
  ]);
  const adminUrl = `postgres://lab@${host}:${port}/postgres`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await asPostgresUser(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
  return {
    adminUrl,
    port,
    dataDir,
    createDatabase: (name) => createDatabase(adminUrl, name),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Creates database `name` (letters, digits, underscores) on the cluster behind `adminUrl`. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new LabError('LAB_BAD_NAME', `bad database name ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
