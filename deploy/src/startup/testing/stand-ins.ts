/**
 * What stands in for AWS around a start-up script run in a container of the docker driver's base
 * image: a fixtures folder (the build, the secrets, the database's TLS files, stand-in agent
 * packages) mounted into every container, moto and PostgreSQL on each container's loopback
 * (stand-ins.sh), and start-up configurations that point the script at them. Shared by the
 * start-up script's own test and the aws driver's docker staging, so both run the very same
 * stand-ins.
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { docker } from '@multiclaw-lab/docker';
import { sha256File } from '@multiclaw-lab/docker/images';
import { createLabCA, type LabCA } from '@multiclaw-lab/pki';
import { type BundleResult, buildBundle } from '../../artifacts/bundle.ts';
import type { InstanceRole } from '../../outputs.ts';
import type { StartupConfig } from '../index.ts';
import { ROLE_PLANS } from '../roles.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
/** bootstrap.sh installs it; mounted at the same path, so its python (Debian's /usr/bin/python3) resolves inside too */
export const MOTO_VENV = join(ROOT, 'node_modules/.cache/moto-venv');
/** where every container sees the fixtures folder */
export const FIXTURES = '/fixtures';
const MOTO = 'http://127.0.0.1:5000';
/** `docker exec` options that point a start-up script at its container's moto, as IMDS and the endpoints would be on AWS */
export const STAND_IN_EXEC_ENV = ['-e', `AWS_ENDPOINT_URL=${MOTO}`, '-e', `AWS_EC2_METADATA_SERVICE_ENDPOINT=${MOTO}`];
export const CLOUDWATCH_AGENT_CTL = '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl';
const BUCKET = 'mcl-artifacts';
const REGION = 'eu-west-1';

/** The PostgreSQL that stands in for RDS: its TLS leaf for the endpoint name, and the CA bundle served as RDS's. */
export interface StandInDatabase {
  host: string;
  name: string;
  user: string;
  password: string;
  chainPem: string;
  keyPem: string;
  caBundlePem: string;
}

/**
 * The RDS stand-in's identity: a leaf for `host` from `ca` (default: a CA of its own, as RDS's CA
 * is not the stack's) and a fresh password.
 */
export async function standInDatabase(db: { host: string; name: string; user: string; ca?: LabCA }): Promise<StandInDatabase> {
  const ca = db.ca ?? (await createLabCA({ name: 'RDS stand-in CA' }));
  const leaf = await ca.issue([db.host]);
  return {
    host: db.host,
    name: db.name,
    user: db.user,
    password: `pw-${randomBytes(12).toString('hex')}`,
    chainPem: leaf.chainPem,
    keyPem: leaf.keyPem,
    caBundlePem: ca.certPem,
  };
}

export interface StandInFixtures {
  dir: string;
  bundle: BundleResult;
  nodeSha256: string;
  database: StandInDatabase;
  /** `docker run` options: the folder, the Node binary moto serves as the build's, the moto venv */
  mounts: string[];
  remove(): Promise<void>;
}

/** The stand-in agent packages once built (their URL at moto and digest), as a start-up configuration names them. */
export interface StandInAgents {
  ssmAgent: { url: string; sha256: string };
  cloudwatchAgent: { url: string; sha256: string };
}

/**
 * A real Debian package named like an AWS agent whose one program only prints and exits. It
 * stands in for AWS's agent only to prove the install step (download, dpkg -i, the re-run that
 * finds it installed); the agents themselves cannot run outside an EC2 instance.
 */
async function writeStandInAgentPackage(dir: string, pkg: string, program: string) {
  await mkdir(join(dir, 'DEBIAN'), { recursive: true, mode: 0o755 });
  await mkdir(join(dir, dirname(program)), { recursive: true, mode: 0o755 });
  await writeFile(
    join(dir, 'DEBIAN/control'),
    [
      `Package: ${pkg}`,
      'Version: 0.0.0-stand-in',
      'Architecture: all',
      'Maintainer: multiclaw-lab tests <tests@multiclaw.test>',
      `Description: stand-in for ${pkg} (start-up script test)`,
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, program), `#!/bin/sh\necho "${pkg} stand-in: not the real agent"\n`, { mode: 0o755 });
  // dpkg-deb refuses group- or world-writable control folders, whatever the umask made
  for (let d = join(dir, dirname(program)); d.startsWith(dir); d = dirname(d)) await chmod(d, 0o755);
  await chmod(join(dir, 'DEBIAN'), 0o755);
}

/**
 * Makes the fixtures folder: the components bundle built now, the secrets moto will hold
 * (name → value), the database stand-in's files, and the scripts that load them.
 */
export async function makeStandInFixtures(options: {
  secrets: Record<string, string>;
  database: StandInDatabase;
}): Promise<StandInFixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'mcl-stand-ins-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    // containers read it as other accounts than this machine's user
    await chmod(dir, 0o755);
    const [bundle, nodeSha256] = await Promise.all([buildBundle(join(dir, 'components.tar.gz')), sha256File(process.execPath)]);
    const { database } = options;
    await writeFile(join(dir, 'db.crt'), database.chainPem);
    await writeFile(join(dir, 'db.key'), database.keyPem, { mode: 0o644 });
    await writeFile(join(dir, 'rds-ca.pem'), database.caBundlePem);
    for (const [file, value] of [
      ['db-user', database.user],
      ['db-name', database.name],
      ['db-password', database.password],
    ] as const)
      await writeFile(join(dir, file), value);
    await writeFile(join(dir, 'secrets.json'), JSON.stringify(options.secrets));
    for (const file of ['stand-ins.sh', 'moto-fixtures.py']) await copyFile(join(import.meta.dirname, file), join(dir, file));
    await writeStandInAgentPackage(join(dir, 'ssm-agent-pkg'), 'amazon-ssm-agent', 'usr/bin/amazon-ssm-agent');
    await writeStandInAgentPackage(join(dir, 'cloudwatch-agent-pkg'), 'amazon-cloudwatch-agent', CLOUDWATCH_AGENT_CTL.slice(1));
    const mounts = [
      '-v',
      `${dir}:${FIXTURES}`,
      '-v',
      `${process.execPath}:${FIXTURES}/node:ro`,
      '-v',
      `${MOTO_VENV}:${MOTO_VENV}:ro`,
    ];
    return { dir, bundle, nodeSha256, database, mounts, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/**
 * Builds the stand-in agent .debs with the base image's dpkg-deb, in a container that mounts the
 * fixtures (once per folder: every container shares the result).
 */
export async function buildStandInAgents(fixtures: StandInFixtures, container: string): Promise<StandInAgents> {
  const build = await docker([
    'exec',
    container,
    'sh',
    '-c',
    `dpkg-deb --root-owner-group --build ${FIXTURES}/ssm-agent-pkg ${FIXTURES}/amazon-ssm-agent.deb >/dev/null && ` +
      `dpkg-deb --root-owner-group --build ${FIXTURES}/cloudwatch-agent-pkg ${FIXTURES}/amazon-cloudwatch-agent.deb >/dev/null`,
  ]);
  if (build.code !== 0) throw new Error(`dpkg-deb could not build the stand-in agent packages: ${build.stderr}`);
  return {
    ssmAgent: {
      url: `${MOTO}/${BUCKET}/ssm/amazon-ssm-agent.deb`,
      sha256: await sha256File(join(fixtures.dir, 'amazon-ssm-agent.deb')),
    },
    cloudwatchAgent: {
      url: `${MOTO}/${BUCKET}/agents/amazon-cloudwatch-agent.deb`,
      sha256: await sha256File(join(fixtures.dir, 'amazon-cloudwatch-agent.deb')),
    },
  };
}

/**
 * Starts moto (and, with `database`, the PostgreSQL standing in for RDS) in the container and
 * loads the fixtures into it (the agents must be built first); returns each secret's ARN by name.
 */
export async function startStandIns(container: string, options: { database: boolean }): Promise<Record<string, string>> {
  const flag = options.database ? '' : '--no-database ';
  const run = await docker(['exec', container, 'sh', '-c', `sh ${FIXTURES}/stand-ins.sh ${flag}${MOTO_VENV} ${FIXTURES}`]);
  if (run.code !== 0) throw new Error(`the stand-ins did not start in ${container}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, string>;
}

/**
 * A role's start-up configuration against the stand-ins: the build and the agents from moto's
 * S3, the database (cloud role) at the stand-in's name with the CA bundle from moto.
 */
export function standInStartupConfig(
  fixtures: StandInFixtures,
  agents: StandInAgents,
  host: {
    hostId: string;
    role: InstanceRole;
    secretFiles: Record<string, string>;
    env: Record<string, string>;
    logGroup: string;
    /** cloud role: the database as the stack names it (the stand-in answers at its host name) */
    database?: Omit<NonNullable<StartupConfig['database']>, 'caBundleUrl'>;
  },
): StartupConfig {
  return {
    hostId: host.hostId,
    role: host.role,
    region: REGION,
    artifacts: {
      bucket: BUCKET,
      nodeKey: 'build/node',
      bundleKey: 'build/components.tar.gz',
      nodeSha256: fixtures.nodeSha256,
      bundleSha256: fixtures.bundle.sha256,
    },
    secretFiles: host.secretFiles,
    env: host.env,
    logGroup: host.logGroup,
    ssmAgent: agents.ssmAgent,
    cloudwatchAgent: agents.cloudwatchAgent,
    // the stand-in's CA bundle, served by moto as RDS serves its own
    ...(host.database ? { database: { ...host.database, caBundleUrl: `${MOTO}/${BUCKET}/rds/global-bundle.pem` } } : {}),
  };
}

/** The services a role's start-up script starts (their logs are /var/log/multiclaw-lab/<name>.log). */
export function roleServices(role: InstanceRole): string[] {
  return ROLE_PLANS[role].services.map((s) => s.name);
}
