/**
 * What a staging stack hands each role's start-up script, for a stack stood in for without AWS:
 * the configuration with the deploy config's own defaults (domains, region), the secret values
 * the stack would copy into Secrets Manager, and each role's environment and secret files from
 * the stack's own runtime functions (stack/runtime.ts), so a stand-in stack cannot drift from
 * the variable names a deployed one uses.
 */
import { parseStackConfig, type StackConfig, stackConfigSchema } from '../../config.ts';
import type { InstanceRole } from '../../outputs.ts';
import type { StackContext } from '../../stack/context.ts';
import { DATABASE_NAME, DATABASE_USER } from '../../stack/database.ts';
import { type PublicNames, publicNames } from '../../stack/dns.ts';
import type { HostRuntime } from '../../stack/instances.ts';
import {
  cloudDesktopRuntime,
  cloudRuntime,
  desktopRuntime,
  llmRuntime,
  neighbourRuntime,
  type RuntimeInputs,
  relayRuntime,
  turnUrls,
} from '../../stack/runtime.ts';
import type { StackSecretSet } from '../../stack/secrets.ts';
import { type GeneratedSecretKey, generateStackSecrets } from '../../stack-secrets.ts';
import { generateStackTls, type StackTls } from '../../stack-tls.ts';
import type { StartupConfig } from '../index.ts';
import { type StandInDatabase, standInDatabase } from './stand-ins.ts';

export interface StandInStack {
  /** the stack's name (STACK_TAG) */
  stack: string;
  /** with the deploy config's defaults (domains, region): what `lab deploy` gives a new stack */
  config: StackConfig;
  names: PublicNames;
  /** what `lab deploy` makes for a new stack */
  secrets: Record<GeneratedSecretKey, string>;
  tls: StackTls;
  /** the PostgreSQL standing in for RDS, with the stack's database name and user */
  database: StandInDatabase;
  cdnUrl: string;
  relayAddress: string;
  /** what the cloud hands out and the outputs list (stack/runtime.ts) */
  turnUrls: string[];
}

/**
 * A new stack's configuration and secrets, made as `lab deploy` makes them (TLS from the lab CA
 * for the default domains, random keys), with the RDS stand-in answering at `databaseHost`.
 */
export async function makeStandInStack(options: {
  stack: string;
  databaseHost: string;
  /** where a relay would be (the stand-in stack may have none) */
  relayAddress: string;
}): Promise<StandInStack> {
  const defaults = {
    domain: stackConfigSchema.shape.domain.parse(undefined),
    llmDomain: stackConfigSchema.shape.llmDomain.parse(undefined),
  };
  const tls = await generateStackTls(defaults);
  // the build's paths are never read here
  const config = parseStackConfig({ artifacts: { nodePath: 'node', bundlePath: 'components.tar.gz' }, tls: tls.tls });
  const names = publicNames({ config } as StackContext);
  const database = await standInDatabase({ host: options.databaseHost, name: DATABASE_NAME, user: DATABASE_USER });
  return {
    stack: options.stack,
    config,
    names,
    secrets: generateStackSecrets(),
    tls,
    database,
    // the address the stack's CDN has when it is given a certificate for its name
    cdnUrl: `https://${names.cdn}`,
    relayAddress: options.relayAddress,
    turnUrls: turnUrls(names.turn),
  };
}

/** The secrets' names in Secrets Manager, as stackSecrets names them, and one for RDS's own database secret. */
function secretNames(stack: string) {
  const name = (n: string) => `multiclaw-lab/${stack}/${n}`;
  return {
    tokenSigningKey: name('token-signing-key'),
    masterKey: name('master-key'),
    turnSharedSecret: name('turn-shared-secret'),
    caCertificate: name('ca-certificate'),
    llmCertificate: name('tls-llm-cert'),
    llmKey: name('tls-llm-key'),
    turnCertificate: name('tls-turn-cert'),
    turnKey: name('tls-turn-key'),
    // RDS names its own `rds!db-…`, a prefix only AWS services may create
    database: name('database-credentials'),
  };
}

/** Secret name → value: what the stack (and RDS) would have put into Secrets Manager. */
export function stackSecretValues(s: StandInStack): Record<string, string> {
  const names = secretNames(s.stack);
  const { tls, secrets } = s.tls;
  // servers send leaf + CA, as stackSecrets stores the certificates
  const chain = (leaf: string) => `${leaf.trimEnd()}\n${tls.caCertificate.trimEnd()}\n`;
  return {
    [names.tokenSigningKey]: s.secrets.tokenSigningKey,
    [names.masterKey]: s.secrets.masterKey,
    [names.turnSharedSecret]: s.secrets.turnSharedSecret,
    [names.caCertificate]: tls.caCertificate,
    [names.llmCertificate]: chain(tls.llmCertificate),
    [names.llmKey]: secrets.llmTlsKey,
    [names.turnCertificate]: chain(tls.turnCertificate),
    [names.turnKey]: secrets.turnTlsKey,
    // RDS's managed secret is JSON
    [names.database]: JSON.stringify({ username: DATABASE_USER, password: s.database.password }),
  };
}

const RUNTIMES: Record<InstanceRole, (ctx: StackContext, i: RuntimeInputs) => HostRuntime> = {
  cloud: cloudRuntime,
  relay: relayRuntime,
  llm: llmRuntime,
  'cloud-desktop': cloudDesktopRuntime,
  desktop: desktopRuntime,
  neighbour: neighbourRuntime,
};

/** Pulumi inputs that are plain strings here (anything else would be a stand-in made wrong). */
function plain(what: string, record: Record<string, unknown>): Record<string, string> {
  for (const [key, value] of Object.entries(record))
    if (typeof value !== 'string') throw new Error(`${what}.${key} is not a plain string in the stand-in stack`);
  return record as Record<string, string>;
}

/**
 * A role's secret files, environment and database as stack/runtime.ts gives them, with the ARNs
 * the stand-in Secrets Manager gave the secrets (name → ARN, as stand-ins.sh prints them).
 */
export function stackRuntime(
  role: InstanceRole,
  s: StandInStack,
  arns: Record<string, string>,
): Pick<StartupConfig, 'secretFiles' | 'env' | 'database'> {
  const names = secretNames(s.stack);
  const arn = (key: keyof typeof names) => {
    const found = arns[names[key]];
    if (!found) throw new Error(`the stand-in Secrets Manager holds no ${names[key]}`);
    return { arn: found };
  };
  // the runtime functions read only ARNs, names and the config: plain values stand in for outputs
  const secrets = {
    tokenSigningKey: arn('tokenSigningKey'),
    masterKey: arn('masterKey'),
    turnSharedSecret: arn('turnSharedSecret'),
    caCertificate: arn('caCertificate'),
    llm: { certificate: arn('llmCertificate'), key: arn('llmKey') },
    turn: { certificate: arn('turnCertificate'), key: arn('turnKey') },
  } as unknown as StackSecretSet;
  const inputs = {
    names: s.names,
    secrets,
    database: { address: s.database.host, credentialsSecretArn: arn('database').arn },
    relayAddress: s.relayAddress,
    cdnUrl: s.cdnUrl,
  } as unknown as RuntimeInputs;
  const runtime = RUNTIMES[role]({ config: s.config, stack: s.stack } as StackContext, inputs);
  const db = runtime.database;
  const dbNames = db && plain('database', { host: db.host, passwordSecretArn: db.passwordSecretArn });
  return {
    secretFiles: plain('secretFiles', runtime.secretFiles),
    env: plain('env', runtime.env),
    ...(db && dbNames ? { database: { ...db, host: dbNames.host!, passwordSecretArn: dbNames.passwordSecretArn! } } : {}),
  };
}
