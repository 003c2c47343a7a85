/**
 * A Lab over a deployed staging stack, for `lab run` on an attached stack: the aws driver over
 * the stack's instances, the stack's own services followed (what each role runs and where its
 * output goes come from deploy's role plans, the same table the start-up scripts are made
 * from), the cloud reached at its public endpoint, the LLM replica's admin socket through the
 * driver. Works over any instance transport: Systems Manager on AWS, `docker exec` on a docker
 * staging (the same start-up scripts run in containers).
 */
import { type AwsDriver, driverOver, type InstanceTransport, type ResolvedHost } from '@multiclaw-lab/aws';
import { attachLab, type FollowedService, type HealthCheck, type Lab } from '@multiclaw-lab/core';
import { INSTANCE_PATHS, type InstanceRole, ROLE_PLANS, type ServiceSpec, type StackOutputs } from '@multiclaw-lab/deploy';
import { LabError } from '@multiclaw-lab/kit';
import { PUBLIC_NAMES, type Topology } from '@multiclaw-lab/network';

/** the stack's roles whose services the lab follows, and the lab's id and kind for each */
const FOLLOWED: Partial<Record<InstanceRole, { kind: FollowedService['kind']; id: (hostId: string) => string }>> = {
  cloud: { kind: 'cloud', id: (hostId) => hostId },
  llm: { kind: 'llm', id: () => 'llm' },
  relay: { kind: 'coturn', id: () => 'coturn' },
};

/** The role's own health probe, run on its instance (curl, as the start-up script waits for it). */
function probeOnInstance(spec: ServiceSpec): HealthCheck {
  return async (lab, s) => {
    if (!spec.health) {
      const r = await lab.driver.exec(s.def.host, 'systemctl', ['is-active', '--quiet', `${spec.name}.service`], {
        timeoutMs: 30_000,
      });
      return { healthy: r.code === 0, detail: `${spec.name}.service ${r.code === 0 ? 'active' : `not active (exit ${r.code})`}` };
    }
    const { url, socket } = spec.health;
    const args = ['-sS', '-f', '-o', '/dev/null', '--max-time', '5', ...(socket ? ['--unix-socket', socket] : ['-k']), url];
    const r = await lab.driver.exec(s.def.host, 'curl', args, { timeoutMs: 30_000 });
    const where = `GET ${url}${socket ? ` on ${socket}` : ''} on ${s.def.host}`;
    return r.code === 0
      ? { healthy: true, detail: `${where}: 2xx` }
      : { healthy: false, detail: `${where}: ${r.stderr.trim() || `exit ${r.code}`}` };
  };
}

/** The services the lab follows: the role plans of the stack's hosts (each cloud instance found running among them). */
function followedServices(topology: Topology): FollowedService[] {
  return topology.hosts.flatMap((host) => {
    const role = host.role as InstanceRole;
    const followed = FOLLOWED[role];
    if (!followed) return [];
    return ROLE_PLANS[role].services.map((spec) => ({
      id: followed.id(host.id),
      kind: followed.kind,
      host: host.id,
      logFile: `${INSTANCE_PATHS.logs}/${spec.name}.log`,
      health: probeOnInstance(spec),
      managedBy: `the staging stack's ${spec.name} service`,
    }));
  });
}

/**
 * Every row of every table of the cloud's database as JSON lines, read on a cloud instance with
 * the cloud's own environment (its DATABASE_URL: RDS, TLS verified) and the bundle's `pg`. Byte
 * columns are written as text, so a secret stored unencrypted in one is found by the scan.
 */
const DUMP_ROWS = `
const pg = require('node:module').createRequire(process.cwd() + '/package.json')('pg');
const text = (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('latin1') : v);
(async () => {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  const tables = await c.query("select table_schema s, table_name n from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2");
  for (const { s, n } of tables.rows) {
    const rows = await c.query('select * from ' + c.escapeIdentifier(s) + '.' + c.escapeIdentifier(n));
    for (const row of rows.rows) process.stdout.write(JSON.stringify({ table: s + '.' + n, row }, text) + '\\n');
  }
  await c.end();
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

async function dumpThroughCloud(driver: Pick<AwsDriver, 'exec'>, hostId: string): Promise<string> {
  const cloud = ROLE_PLANS.cloud.services[0]!;
  const envFile = `${INSTANCE_PATHS.config}/${cloud.name}.env`;
  const script = 'set -a && . "$1" && set +a && cd "$2/lab/cloud" && exec node -e "$3"';
  const r = await driver.exec(hostId, 'sh', ['-c', script, 'dump', envFile, INSTANCE_PATHS.app, DUMP_ROWS], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`dumping the database on ${hostId} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/** the LLM replica's admin socket, as its role plan starts it */
function llmAdminSocket(): string {
  const socket = ROLE_PLANS.llm.services[0]?.env.LLM_ADMIN_SOCKET;
  if (!socket) throw new TypeError('the llm role plan names no LLM_ADMIN_SOCKET');
  return socket;
}

export async function stagingLab(options: {
  outputs: StackOutputs;
  transport: InstanceTransport;
  running: readonly ResolvedHost[];
  prefix: string;
  stateDir: string;
  onProgress?: (line: string) => void;
}): Promise<Lab> {
  const { outputs } = options;
  // the scenarios and the lab's clients use the lab's public names: a stack with other names
  // would be checked against names it does not answer to
  const differing = (Object.keys(PUBLIC_NAMES) as Array<keyof typeof PUBLIC_NAMES>).filter(
    (k) => outputs.names[k] !== PUBLIC_NAMES[k],
  );
  if (differing.length > 0)
    throw new LabError(
      'LAB_UNSUPPORTED',
      `stack ${outputs.stack} uses other names than the lab's (${differing.map((k) => `${outputs.names[k]} for ${PUBLIC_NAMES[k]}`).join(', ')})`,
      { hint: 'scenarios run on a stack deployed with the default domain and llmDomain' },
    );
  const llm = outputs.hosts.find((h) => h.role === 'llm');
  if (!llm)
    throw new LabError('LAB_UNSUPPORTED', `stack ${outputs.stack} lists no llm host`, { hint: 'redeploy it: pnpm lab deploy' });
  const driver = driverOver(outputs, options.transport, options.running, { prefix: options.prefix, stateDir: options.stateDir });
  const cloudHost = driver.topology.hosts.find((h) => h.role === 'cloud')?.id;
  if (!cloudHost)
    throw new LabError('LAB_UNSUPPORTED', `stack ${outputs.stack} has no running cloud instance`, {
      hint: 'see its auto scaling group',
    });
  const api = new URL(outputs.endpoints.api);
  return attachLab({
    prefix: options.prefix,
    stateDir: options.stateDir,
    topology: driver.topology,
    driver,
    caCertificate: outputs.caCertificate,
    api: { host: api.hostname, port: Number(api.port || 443) },
    llmAdmin: { hostId: llm.id, socket: llmAdminSocket() },
    services: followedServices(driver.topology),
    dumpDatabase: () => dumpThroughCloud(driver, cloudHost),
    ...(options.onProgress ? { onProgress: (p) => options.onProgress!(`${p.phase}: ${p.detail}`) } : {}),
  });
}
