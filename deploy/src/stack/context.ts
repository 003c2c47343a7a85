import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig, StackSecrets } from '../config.ts';
import { HOST_TAG, type InstanceRole, ROLE_TAG, SITE_TAG, STACK_TAG } from '../outputs.ts';

/** What every part of the stack is built from. */
export interface StackContext {
  config: StackConfig;
  secrets: StackSecrets;
  /** value of STACK_TAG on every resource */
  stack: string;
  /** options of every resource: the explicit provider that carries the default tags */
  opts: pulumi.CustomResourceOptions;
  accountId: pulumi.Output<string>;
  /** `arn:aws:...` prefix pieces: partition is fixed, the stack is for the commercial regions */
  partition: 'aws';
}

export function createContext(config: StackConfig, secrets: StackSecrets, stack: string): StackContext {
  // Every resource carries STACK_TAG through the provider's default tags, so nothing can be
  // created untagged by forgetting a `tags` line (auto scaling instances are tagged separately:
  // default tags do not reach what an auto scaling group launches).
  const provider = new aws.Provider('aws-staging', {
    region: config.region as aws.Region,
    defaultTags: { tags: { [STACK_TAG]: stack } },
  });
  const opts: pulumi.CustomResourceOptions = { provider };
  const identity = aws.getCallerIdentityOutput({}, { provider });
  return { config, secrets, stack, opts, accountId: identity.accountId, partition: 'aws' };
}

/** The lab tags of one instance (HOST_TAG, ROLE_TAG, SITE_TAG when it belongs to a site) and a Name. */
export function hostTags(stack: string, host: { hostId: string; role: InstanceRole; site?: string }): Record<string, string> {
  return {
    Name: `${stack}-${host.hostId}`,
    [STACK_TAG]: stack,
    [HOST_TAG]: host.hostId,
    [ROLE_TAG]: host.role,
    ...(host.site ? { [SITE_TAG]: host.site } : {}),
  };
}

/** A policy document (plain, or holding outputs such as ARNs) as the JSON string AWS takes. */
export function jsonPolicy(document: unknown): pulumi.Output<string> {
  return (pulumi.output(document) as pulumi.Output<unknown>).apply((d) => JSON.stringify(d));
}
