/**
 * The start-up script (EC2 user data) of every staging instance: installs Node 24 and the lab's
 * components from the same build the docker images use, reads its secrets from Secrets Manager
 * through the instance's role, and starts its services.
 *
 * The script is POSIX sh on Debian 12: it ensures the role's Debian packages (only the missing
 * ones) and the Systems Manager agent (the aws driver's only way in; installed from its .deb when
 * missing), downloads the Node binary and the components bundle from S3 with the role's credentials
 * (IMDSv2 + curl's SigV4) and checks both against SHA-256 digests written into it, writes each
 * secret into a 0600 file owned by the service's account (the variable names the file), puts the
 * lab CA into the OS trust store where the stack hands one over (LAB_CA_CERT_FILE), writes
 * an environment file and a hardened systemd unit per service and starts it (in a container,
 * where systemd is not PID 1, the unit's command runs in the background as the same account).
 * Every step logs one JSON line on stdout; any failure ends it with a JSON error line and exit 1;
 * running it again changes nothing that is already right.
 *
 * AWS_ENDPOINT_URL (S3, Secrets Manager) and AWS_EC2_METADATA_SERVICE_ENDPOINT (IMDS) are honoured
 * when set in its environment, so the same script runs against moto.
 *
 * logGroup: every service's JSON lines go to its file under /var/log/multiclaw-lab, which the
 * Amazon CloudWatch agent (installed from its .deb when missing, started before the services)
 * ships to that group, one stream per instance and service (log-shipping.ts).
 */

import { readFileSync } from 'node:fs';
import { INSTANCE_CLOCK_FILE, INSTANCE_NODE_LINK, INSTANCE_STATE_DIR, instanceClockEnv } from '../instance-layout.ts';
import type { InstanceRole } from '../outputs.ts';
import { logShippingStep } from './log-shipping.ts';
import { type DebSource, LAB_CA_VARIABLE, type SsmAgentSource, ssmAgentStep, trustStep } from './platform.ts';
import { PATHS, ROLE_PLANS, rolePackages, type ServiceSpec } from './roles.ts';
import type { SecretFileSpec } from './runtime/fetch-secrets.ts';
import {
  envFile,
  envFilePath,
  heredoc,
  quote,
  resolveCommand,
  StartupConfigError,
  secretDir,
  stateDir,
  unitFile,
} from './units.ts';

export { CLOUDWATCH_AGENT_CONFIG, cloudwatchAgentConfig, cloudwatchAgentDebUrl } from './log-shipping.ts';
export { LAB_CA_VARIABLE, ssmAgentDebUrl } from './platform.ts';
export { StartupConfigError } from './units.ts';

/** The RDS global certificate bundle (every region's CAs). */
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

export interface StartupConfig {
  /** the lab host id of this instance (`cloud` for every cloud instance) */
  hostId: string;
  role: InstanceRole;
  region: string;
  /**
   * where `lab deploy` put the build: the Node 24 binary and the components bundle, with their
   * SHA-256 (hex). The digests are optional in the type only so the shape stays compatible;
   * renderStartupScript refuses to render without them (an unchecked download would run).
   */
  artifacts: { bucket: string; nodeKey: string; bundleKey: string; nodeSha256?: string; bundleSha256?: string };
  /** environment variable name → Secrets Manager secret ARN; each becomes a 0600 file, the variable names the file */
  secretFiles: Record<string, string>;
  /** plain environment of the role's services (no secrets) */
  env: Record<string, string>;
  /** CloudWatch Logs group the services' JSON lines go to */
  logGroup: string;
  /**
   * cloud role: the RDS database. DATABASE_URL is made from it (no password: the password goes
   * into a 0600 pgpass file that PGPASSFILE names) with sslmode=verify-full against the CA bundle
   * downloaded from caBundleUrl (default RDS_CA_BUNDLE_URL).
   */
  database?: {
    host: string;
    port?: number;
    name: string;
    user: string;
    /** a secret holding the password, or RDS's managed JSON `{"username","password"}` */
    passwordSecretArn: string;
    caBundleUrl?: string;
  };
  /** cloud role: names in the self-signed certificate for the load balancer → instance hop (default: hostId, localhost) */
  tlsNames?: string[];
  /** the Systems Manager agent's .deb, installed when missing (default: AWS's regional download, unpinned) */
  ssmAgent?: SsmAgentSource;
  /** the Amazon CloudWatch agent's .deb, installed when missing on a role that runs a service (default: AWS's regional download, unpinned) */
  cloudwatchAgent?: DebSource;
}

const LIB = readFileSync(new URL('./lib.sh', import.meta.url), 'utf8');

const SHA256 = /^[0-9a-f]{64}$/;
const S3_KEY = /^[A-Za-z0-9!_.*'()/-]+$/;
/** Variable names that would carry a secret in plain text: such values go through secretFiles. */
const SECRET_NAME = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_KEY|MASTER_KEY)/;

function check(config: StartupConfig): { nodeSha256: string; bundleSha256: string } {
  const { artifacts } = config;
  if (
    !artifacts.nodeSha256 ||
    !SHA256.test(artifacts.nodeSha256) ||
    !artifacts.bundleSha256 ||
    !SHA256.test(artifacts.bundleSha256)
  )
    throw new StartupConfigError(
      'artifacts.nodeSha256 and artifacts.bundleSha256 must be the hex SHA-256 of the uploaded files: the script checks every download against them',
    );
  for (const [what, key] of [
    ['artifacts.nodeKey', artifacts.nodeKey],
    ['artifacts.bundleKey', artifacts.bundleKey],
  ] as const)
    if (!S3_KEY.test(key) || key.includes("'"))
      throw new StartupConfigError(`${what} "${key}" has characters an S3 key should not`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(artifacts.bucket))
    throw new StartupConfigError(`bucket "${artifacts.bucket}" is not an S3 bucket name`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(config.region))
    throw new StartupConfigError(`region "${config.region}" is not an AWS region`);
  if (!/^[a-z0-9-]{1,10}$/.test(config.hostId)) throw new StartupConfigError(`hostId "${config.hostId}" is not a lab host id`);
  for (const [name, value] of Object.entries(config.env)) {
    if (SECRET_NAME.test(name) && !name.endsWith('_FILE'))
      throw new StartupConfigError(
        `env ${name} looks like a secret: put it in Secrets Manager and name it in secretFiles as ${name}_FILE`,
      );
    if (/:\/\/[^/@\s]*:[^/@\s]*@/.test(value))
      throw new StartupConfigError(`env ${name} holds a URL with a password: the password goes through secretFiles`);
  }
  for (const name of Object.keys(config.secretFiles))
    if (!/^[A-Z][A-Z0-9_]*_FILE$/.test(name))
      throw new StartupConfigError(`secretFiles key ${name} must end in _FILE: the variable names the file, never the value`);
  if (config.role === 'cloud' && !config.database)
    throw new StartupConfigError('the cloud role needs `database` (the RDS endpoint)');
  if (ROLE_PLANS[config.role].services.length === 0 && Object.keys(config.secretFiles).length > 0)
    throw new StartupConfigError(`role ${config.role} runs no service, so it has no use for secretFiles`);
  return { nodeSha256: artifacts.nodeSha256, bundleSha256: artifacts.bundleSha256 };
}

/** The file a secret variable names: lower-case variable without _FILE, in the service's secret folder. */
function secretPath(service: ServiceSpec, variable: string): string {
  return `${secretDir(service)}/${variable.replace(/_FILE$/, '').toLowerCase()}`;
}

interface ServicePlan {
  service: ServiceSpec;
  env: Record<string, string>;
  secrets: SecretFileSpec[];
}

function planService(config: StartupConfig, service: ServiceSpec, main: boolean): ServicePlan {
  // every lab process follows the instance's lab clock (the aws driver moves it for clock scenarios)
  const env: Record<string, string> = { ...service.env, ...config.env, AWS_REGION: config.region, ...instanceClockEnv() };
  const secrets: SecretFileSpec[] = [];
  // secrets belong to the role's first service (every role has at most one today)
  if (main) {
    for (const [variable, secretId] of Object.entries(config.secretFiles)) {
      const path = secretPath(service, variable);
      secrets.push({ variable, secretId, path, account: service.account, format: 'raw' });
      env[variable] = path;
    }
  }
  if (config.role === 'cloud' && main) {
    const db = config.database!;
    const port = db.port ?? 5432;
    const pgpass = secretPath(service, 'PGPASS_FILE');
    secrets.push({
      variable: 'PGPASSFILE',
      secretId: db.passwordSecretArn,
      path: pgpass,
      account: service.account,
      format: 'pgpass',
      pgpass: { host: db.host, port, database: db.name, user: db.user },
    });
    env.PGPASSFILE = pgpass;
    env.DATABASE_URL =
      `postgres://${encodeURIComponent(db.user)}@${db.host}:${port}/${encodeURIComponent(db.name)}` +
      `?sslmode=verify-full&sslrootcert=${PATHS.config}/rds-ca.pem`;
    env.CLOUD_TLS_CERT_FILE = `${secretDir(service)}/tls.crt`;
    env.CLOUD_TLS_KEY_FILE = `${secretDir(service)}/tls.key`;
  }
  return { service, env, secrets };
}

function serviceSteps(config: StartupConfig, plan: ServicePlan): string[] {
  const { service } = plan;
  const name = service.name;
  const lines = [
    `step service:${name}`,
    `ensure_account ${service.account} ${name}`,
    `install -d -m 0755 -o root -g root ${PATHS.config}`,
    `install -d -m 0750 -o root -g ${service.account} ${PATHS.secrets} ${secretDir(service)}`,
    `install -d -m 0750 -o ${service.account} -g ${service.account} ${stateDir(service)}`,
  ];
  if (plan.secrets.length > 0) {
    const spec = JSON.stringify(plan.secrets);
    lines.push(
      `step secrets:${name}`,
      `AWS_REGION=${quote(config.region, 'region')} "$NODE" ${PATHS.app}/deploy/src/startup/runtime/fetch-secrets.ts ${quote(spec, 'the secret list')} ||`,
      `  fail secrets.read "reading the secrets of ${name} from Secrets Manager failed (see the line above)"`,
    );
  }
  const labCa = plan.env[LAB_CA_VARIABLE];
  if (labCa && plan.secrets.some((s) => s.variable === LAB_CA_VARIABLE)) lines.push(...trustStep(labCa));
  if (config.role === 'cloud') {
    const db = config.database!;
    const names = config.tlsNames ?? [config.hostId, 'localhost'];
    for (const n of names) if (!/^[A-Za-z0-9.-]+$/.test(n)) throw new StartupConfigError(`tlsNames: "${n}" is not a DNS name`);
    const san = names.map((n) => `DNS:${n}`).join(',');
    lines.push(
      'step tls',
      '# the load balancer does not verify its targets: a certificate made here keeps the hop encrypted',
      `if [ ! -s ${plan.env.CLOUD_TLS_KEY_FILE} ] || [ ! -s ${plan.env.CLOUD_TLS_CERT_FILE} ]; then`,
      `  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj '/CN=${names[0]}' \\`,
      `    -addext 'subjectAltName=${san}' -keyout ${plan.env.CLOUD_TLS_KEY_FILE} -out ${plan.env.CLOUD_TLS_CERT_FILE} 2>/dev/null ||`,
      '    fail tls.generate "openssl could not make the self-signed certificate"',
      `  chown ${service.account}:${service.account} ${plan.env.CLOUD_TLS_KEY_FILE} ${plan.env.CLOUD_TLS_CERT_FILE}`,
      `  chmod 0600 ${plan.env.CLOUD_TLS_KEY_FILE}`,
      `  chmod 0644 ${plan.env.CLOUD_TLS_CERT_FILE}`,
      '  log tls.generated \'"note":"self-signed; the load balancer does not verify targets"\'',
      'else',
      '  log tls.present',
      'fi',
      'step database-ca',
      `ca_url=${quote(db.caBundleUrl ?? RDS_CA_BUNDLE_URL, 'database.caBundleUrl')}`,
      `curl -sS -f --retry 5 --retry-connrefused -o ${PATHS.config}/rds-ca.pem.new "$ca_url" ||`,
      '  fail database.ca "could not download the database CA bundle from $ca_url"',
      `grep -q 'BEGIN CERTIFICATE' ${PATHS.config}/rds-ca.pem.new || fail database.ca "$ca_url did not answer with PEM certificates"`,
      `chmod 0644 ${PATHS.config}/rds-ca.pem.new && mv -f ${PATHS.config}/rds-ca.pem.new ${PATHS.config}/rds-ca.pem`,
      'log database.ca "\\"url\\":\\"$(json_escape "$ca_url")\\""',
    );
  }
  const caps = service.privilegedPort ? 'net_bind_service' : '';
  const prepare = service.prepare ? resolveCommand(service.prepare).join(' ') : '';
  lines.push(
    `step config:${name}`,
    'CHANGED=0',
    `write_file ${envFilePath(service)} 0640 root:${service.account} ${heredoc(envFile(plan.env), 'ENV')}`,
    'install -d -m 0755 /etc/systemd/system',
    `write_file /etc/systemd/system/${name}.service 0644 root:root ${heredoc(unitFile(service), 'UNIT')}`,
    // a new release or a newly trusted CA takes a restart: both are read at start
    'if [ "$RELEASE_CHANGED" = 1 ] || [ "$TRUST_CHANGED" = 1 ]; then CHANGED=1; fi',
    `step start:${name}`,
    `start_service ${name} ${service.account} "$CHANGED" '${caps}' '${prepare}' -- ${resolveCommand(service.command).join(' ')}`,
  );
  if (service.health) {
    const { url, socket } = service.health;
    lines.push(`wait_healthy ${name} ${quote(url, 'health url')}${socket ? ` ${quote(socket, 'health socket')}` : ''}`);
  }
  return lines;
}

export function renderStartupScript(config: StartupConfig): string {
  const { nodeSha256, bundleSha256 } = check(config);
  const plan = ROLE_PLANS[config.role];
  const services = plan.services.map((service, i) => planService(config, service, i === 0));
  const release = `${PATHS.releases}/${bundleSha256}`;
  const header = [
    '#!/bin/sh',
    `# multiclaw-lab start-up: role ${config.role}, host ${config.hostId} (generated by deploy/src/startup; do not edit)`,
    'set -eu',
    'umask 022',
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    `HOST_ID=${config.hostId}`,
    `ROLE=${config.role}`,
    `REGION=${config.region}`,
    `BUCKET=${config.artifacts.bucket}`,
    `NODE_KEY='${config.artifacts.nodeKey}'`,
    `NODE_SHA256=${nodeSha256}`,
    `BUNDLE_KEY='${config.artifacts.bundleKey}'`,
    `BUNDLE_SHA256=${bundleSha256}`,
    `NODE=${PATHS.node}`,
    `DOWNLOADS=${PATHS.downloads}`,
    `CONFIG=${PATHS.config}`,
    `PIDS=${PATHS.pids}`,
    `LOGS=${PATHS.logs}`,
    '',
  ];
  const steps = [
    '',
    'log start',
    'step packages',
    `ensure_packages ${rolePackages(config.role).join(' ')}`,
    '',
    ...ssmAgentStep(config.region, config.ssmAgent),
    '',
    ...logShippingStep(
      config.region,
      services.map((s) => s.service),
      config.logGroup,
      config.cloudwatchAgent,
    ),
    '',
    'step node',
    `install -d -m 0755 ${PATHS.root} ${PATHS.root}/bin ${PATHS.releases} ${PATHS.downloads}`,
    'if [ -x "$NODE" ] && [ "$(sha256_of "$NODE")" = "$NODE_SHA256" ]; then',
    '  log node.present',
    'else',
    `  fetch_s3 "$NODE_KEY" ${PATHS.downloads}/node`,
    `  verify ${PATHS.downloads}/node "$NODE_SHA256" "the Node binary" "$NODE_KEY"`,
    `  chmod 0755 ${PATHS.downloads}/node && mv -f ${PATHS.downloads}/node "$NODE"`,
    '  log node.installed "\\"version\\":\\"$("$NODE" --version)\\""',
    'fi',
    '',
    'step lab-driver',
    "# what the aws driver's commands expect: Node on the PATH, the lab folder, a clock at real time",
    `ln -sfn "$NODE" ${INSTANCE_NODE_LINK}`,
    `install -d -m 0755 ${INSTANCE_STATE_DIR}`,
    `[ -s ${INSTANCE_CLOCK_FILE} ] || printf '+0\\n' > ${INSTANCE_CLOCK_FILE}`,
    '',
    'step bundle',
    `RELEASE=${release}`,
    'if [ -f "$RELEASE/.complete" ]; then',
    '  log bundle.present',
    'else',
    `  fetch_s3 "$BUNDLE_KEY" ${PATHS.downloads}/bundle.tar.gz`,
    `  verify ${PATHS.downloads}/bundle.tar.gz "$BUNDLE_SHA256" "the components bundle" "$BUNDLE_KEY"`,
    '  rm -rf "$RELEASE.partial" && mkdir -p "$RELEASE.partial"',
    `  tar -xzf ${PATHS.downloads}/bundle.tar.gz -C "$RELEASE.partial" --no-same-owner >&2 || fail bundle.unpack "tar could not unpack the bundle"`,
    `  touch "$RELEASE.partial/.complete" && mv "$RELEASE.partial" "$RELEASE" && rm -f ${PATHS.downloads}/bundle.tar.gz`,
    '  log bundle.installed "\\"release\\":\\"$RELEASE\\""',
    'fi',
    'RELEASE_CHANGED=0',
    `if [ "$(readlink ${PATHS.app} 2>/dev/null || true)" != "$RELEASE" ]; then`,
    `  ln -sfn "$RELEASE" ${PATHS.app}.new && mv -T ${PATHS.app}.new ${PATHS.app}`,
    '  RELEASE_CHANGED=1',
    'fi',
    '',
    ...services.flatMap((s) => [...serviceSteps(config, s), '']),
    'STEP=end',
    'log done "\\"seconds\\":$(( $(date +%s) - STARTED )),\\"services\\":\\"' +
      services.map((s) => s.service.name).join(' ') +
      '\\""',
    '',
  ];
  return [...header, LIB, ...steps].join('\n');
}
