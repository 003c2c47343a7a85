/**
 * What `lab deploy` writes into a stack's Pulumi config before `up`: the build artifacts of this
 * checkout (every time), the region (when the stack has none), and the random secrets a new stack
 * needs (only when missing: drawing them again would rotate every key of a running stack). All
 * of it goes into the program's namespace (`multiclaw:<key>`), objects as JSON, secrets marked
 * secret so Pulumi keeps them encrypted. Every other setting (sites, instance types…) is the
 * user's: `pulumi config set multiclaw:sites 2 --stack NAME`, which this never overwrites.
 */
import type { ConfigMap } from '@pulumi/pulumi/automation/index.js';

export const PROJECT_NAME = 'multiclaw-lab-staging';
export const CONFIG_NAMESPACE = 'multiclaw';
export const DEFAULT_REGION = 'eu-west-1';

/** What `lab deploy` built, as the program's `artifacts` setting wants it. */
export interface BuiltArtifacts {
  nodePath: string;
  bundlePath: string;
}

export interface DeployConfigInput {
  /** the stack's config as it is now (empty for a new stack) */
  existing: ConfigMap;
  artifacts: BuiltArtifacts;
  /** the region asked for (AWS_REGION), used only when the stack has none yet */
  region?: string;
  /** makes the secrets a new stack needs (deploy's generateStackSecrets) */
  generateSecrets: () => Record<string, string>;
  /**
   * the stack's TLS material, made for a stack that has no `tls` setting yet (public halves as
   * the `tls` setting, private keys as secrets); see tlsNamesOf
   */
  newTls?: { tls: Record<string, string>; secrets: Record<string, string> };
}

export const configKey = (key: string) => `${CONFIG_NAMESPACE}:${key}`;

/** The config entries to set (nothing else is touched). */
export function deployConfig(input: DeployConfigInput): ConfigMap {
  const { existing } = input;
  const set: ConfigMap = {
    [configKey('artifacts')]: { value: JSON.stringify(input.artifacts) },
  };
  // the program reads its region from its own namespace; the AWS provider from aws:region
  const region = existing[configKey('region')]?.value ?? existing['aws:region']?.value ?? input.region ?? DEFAULT_REGION;
  if (!existing[configKey('region')]) set[configKey('region')] = { value: region };
  if (!existing['aws:region']) set['aws:region'] = { value: region };
  // drawn every time (it is cheap), kept only for the keys the stack does not have yet
  for (const [key, value] of Object.entries(input.generateSecrets())) {
    if (!existing[configKey(key)]) set[configKey(key)] = { value, secret: true };
  }
  if (input.newTls && !existing[configKey('tls')]) {
    set[configKey('tls')] = { value: JSON.stringify(input.newTls.tls) };
    for (const [key, value] of Object.entries(input.newTls.secrets)) set[configKey(key)] = { value, secret: true };
  }
  return set;
}

/** Whether a stack still needs its TLS material, and the names to make it for (the program's defaults unless set). */
export function tlsNamesOf(config: ConfigMap): { domain: string; llmDomain: string } | undefined {
  if (config[configKey('tls')]) return undefined;
  return {
    domain: config[configKey('domain')]?.value ?? 'multiclaw.test',
    llmDomain: config[configKey('llmDomain')]?.value ?? 'llm.test',
  };
}

/** The region a stack's config names (after deployConfig, every stack has one). */
export function regionOf(config: ConfigMap): string | undefined {
  return config[configKey('region')]?.value ?? config['aws:region']?.value;
}
