/**
 * What a deployed staging stack tells the harness: the endpoints, and how to find each lab host
 * among the stack's instances. Instances are found by their tags (an auto scaling group replaces
 * instances, so ids are looked up when needed, never stored); every resource carries STACK_TAG.
 * This is the whole contract between `deploy/` and the aws driver.
 */
import { z } from 'zod';

/** Tag keys every resource of a staging stack carries (instances also HOST_TAG, ROLE_TAG, SITE_TAG). */
export const STACK_TAG = 'multiclaw-lab:stack';
export const HOST_TAG = 'multiclaw-lab:host';
export const ROLE_TAG = 'multiclaw-lab:role';
export const SITE_TAG = 'multiclaw-lab:site';

/** What an instance of the staging stack is: the lab's host roles that exist as EC2 instances on AWS. */
export const INSTANCE_ROLES = ['cloud', 'relay', 'llm', 'cloud-desktop', 'desktop', 'neighbour'] as const;
export type InstanceRole = (typeof INSTANCE_ROLES)[number];

export const stackHostSchema = z.object({
  /** the lab's host id (`relay`, `llm`, `cd1`, `s1-d1`, `s1-nb`; cloud instances: `cloud`, found by role) */
  id: z.string().regex(/^[a-z0-9-]{1,10}$/),
  role: z.enum(INSTANCE_ROLES),
  site: z.string().optional(),
});
export type StackHost = z.infer<typeof stackHostSchema>;

export const stackSiteSchema = z.object({
  id: z.string(),
  /** the NAT gateway's public address: what the cloud sees as this site */
  natAddress: z.string(),
  desktops: z.array(z.string()),
  neighbour: z.string(),
});
export type StackSite = z.infer<typeof stackSiteSchema>;

export const stackOutputsSchema = z.object({
  region: z.string(),
  /** value of STACK_TAG on every resource of this stack */
  stack: z.string(),
  /** the public names (as in the local lab: api, turn, cdn, llm) */
  names: z.object({ api: z.string(), turn: z.string(), cdn: z.string(), llm: z.string() }),
  endpoints: z.object({
    api: z.url(),
    cdn: z.url(),
    llm: z.url(),
    /** TURN host (the relay's Elastic IP) and its listeners */
    turnAddress: z.string(),
    turnUrls: z.array(z.string()),
  }),
  /** the cloud's auto scaling group (its instances carry ROLE_TAG=cloud) */
  cloudAutoScalingGroup: z.string(),
  hosts: z.array(stackHostSchema),
  sites: z.array(stackSiteSchema),
  /** S3 bucket where SSM writes command output in full (captures come back through it) */
  commandOutputBucket: z.string(),
  /** CloudWatch Logs: component logs (JSON lines) and VPC flow logs */
  logGroups: z.object({ components: z.string(), flowLogs: z.string() }),
  /** PEM of the CA the stack's certificates chain to (clients trust it, as in the local lab) */
  caCertificate: z.string(),
});
export type StackOutputs = z.infer<typeof stackOutputsSchema>;
