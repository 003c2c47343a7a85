/**
 * The staging stack's configuration: Pulumi config namespace `multiclaw`, validated with zod
 * before a single resource is declared. Plain settings live in `StackConfig`; the values that
 * must never be shown (signing keys, TLS private keys) arrive separately as Pulumi secrets, so
 * they stay encrypted in the stack's config and state and never pass through zod's messages.
 */
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { MAX_SITES } from './address-plan.ts';
import { StackConfigError } from './errors.ts';
import { RELAY_PORT_LIMITS } from './ports.ts';

export const CONFIG_NAMESPACE = 'multiclaw';

/** CloudWatch Logs accepts only these retention periods (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

const pem = (label: string) =>
  z
    .string()
    .refine((s) => s.includes(`-----BEGIN ${label}-----`) && s.includes(`-----END ${label}-----`), `must be a PEM ${label}`);
const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as t3.small');
const domainName = z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'a lowercase domain name');
const count = (min: number, max: number, fallback: number) => z.int().min(min).max(max).default(fallback);

export const stackConfigSchema = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')
      .default('eu-west-1'),
    /** two zones of the region (ALB and RDS need two); default `<region>a`, `<region>b` */
    availabilityZones: z.array(z.string()).length(2).optional(),
    instanceTypes: z
      .object({
        cloud: instanceType.default('t3.small'),
        relay: instanceType.default('t3.small'),
        llm: instanceType.default('t3.micro'),
        cloudDesktop: instanceType.default('t3.small'),
        desktop: instanceType.default('t3.small'),
        neighbour: instanceType.default('t3.micro'),
        database: z
          .string()
          .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'an RDS instance class such as db.t4g.micro')
          .default('db.t4g.micro'),
      })
      .prefault({}),
    /** the cloud's auto scaling group */
    cloudInstances: z
      .object({ min: count(1, 20, 1), desired: count(1, 20, 1), max: count(1, 20, 2) })
      .prefault({})
      .refine((c) => c.min <= c.desired && c.desired <= c.max, 'cloudInstances needs min <= desired <= max'),
    sites: count(1, MAX_SITES, 1),
    desktopsPerSite: count(1, 20, 1),
    cloudDesktops: count(0, 50, 1),
    /** the cloud's names live under it, in a Route 53 private hosted zone (api., turn., cdn.) */
    domain: domainName.default('multiclaw.test'),
    /** the LLM replica's zone: its API is `api.<llmDomain>` */
    llmDomain: domainName.default('llm.test'),
    relayPorts: z
      .object({
        min: z.int().min(RELAY_PORT_LIMITS.min).max(RELAY_PORT_LIMITS.max).default(RELAY_PORT_LIMITS.min),
        max: z.int().min(RELAY_PORT_LIMITS.min).max(RELAY_PORT_LIMITS.max).default(RELAY_PORT_LIMITS.max),
      })
      .prefault({})
      .refine((r) => r.min < r.max, 'relayPorts needs min < max'),
    /** one NAT gateway per zone in the cloud VPC (high availability) instead of one in total */
    natGatewayPerAz: z.boolean().default(false),
    /** SSM parameter holding the AMI id: Debian 12 (amd64), what the start-up script is written for */
    amiParameter: z.string().startsWith('/').default('/aws/service/debian/release/bookworm/latest/amd64'),
    logRetentionDays: z
      .int()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(14),
    database: z
      .object({
        engineVersion: z.enum(['15', '16']).default('16'),
        allocatedStorageGb: z.int().min(20).max(1000).default(20),
      })
      .prefault({}),
    /** what `lab deploy` built: uploaded to the private artifacts bucket */
    artifacts: z.object({
      nodePath: z.string().min(1),
      bundlePath: z.string().endsWith('.tar.gz', 'the components bundle is a .tar.gz'),
      /** hex SHA-256 of each file; computed from the files when left out */
      nodeSha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      bundleSha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
    /** the lab CA and its leaf certificates (public halves; the private keys are secrets) */
    tls: z.object({
      caCertificate: pem('CERTIFICATE'),
      apiCertificate: pem('CERTIFICATE'),
      llmCertificate: pem('CERTIFICATE'),
      turnCertificate: pem('CERTIFICATE'),
    }),
    /**
     * An ACM certificate in us-east-1 from a publicly trusted CA for `cdn.<domain>`. Without it
     * CloudFront serves its default *.cloudfront.net certificate (see README: TLS floor).
     */
    cdnCertificateArn: z.string().startsWith('arn:aws:acm:us-east-1:').optional(),
    /** minisign public key the desktop simulators check updates against */
    updatePublicKey: z.string().optional(),
  })
  .strict();

export type StackConfig = z.output<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;

/** The stack's secret inputs (Pulumi secrets in config; plain strings in tests). */
export const SECRET_KEYS = ['tokenSigningKey', 'masterKey', 'turnSharedSecret', 'apiTlsKey', 'llmTlsKey', 'turnTlsKey'] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];
export type StackSecrets = Record<SecretKey, pulumi.Input<string>>;

export function parseStackConfig(raw: unknown): StackConfig {
  const result = stackConfigSchema.safeParse(raw);
  if (!result.success)
    throw new StackConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  return result.data;
}

export function availabilityZones(config: StackConfig): [string, string] {
  const [a, b] = config.availabilityZones ?? [`${config.region}a`, `${config.region}b`];
  return [a!, b!];
}

/** A config value as given: JSON when it parses (objects, numbers, booleans), else the string. */
function rawValue(config: pulumi.Config, key: string): unknown {
  const value = config.get(key);
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Reads and validates the `multiclaw` namespace of the current stack's Pulumi config. */
export function loadStackConfig(): { config: StackConfig; secrets: StackSecrets } {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const keys = Object.keys(stackConfigSchema.shape) as (keyof StackConfigInput)[];
  const raw = Object.fromEntries(keys.map((key) => [key, rawValue(config, key)]).filter(([, v]) => v !== undefined));
  const missing = SECRET_KEYS.filter((key) => config.getSecret(key) === undefined);
  if (missing.length > 0)
    throw new StackConfigError(
      missing.map((key) => `${key}: missing (set it with \`pulumi config set --secret multiclaw:${key}\`)`),
    );
  const secrets = {} as Record<SecretKey, pulumi.Output<string>>;
  for (const key of SECRET_KEYS) secrets[key] = config.requireSecret(key);
  return { config: parseStackConfig(raw), secrets };
}
