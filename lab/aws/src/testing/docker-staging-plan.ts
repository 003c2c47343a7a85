/**
 * The docker staging's shape: which container stands for which instance of a staging stack, at
 * which address of its one network, what names resolve where inside it, and the outputs a
 * deployed stack of that shape reports. What differs from a deployed stack is said here once:
 * - one network for every host, no NAT: a site's hosts reach the load balancer from their own
 *   addresses, so the site's desktop's address stands for the site's NAT address;
 * - `api.<llmDomain>` resolves to the LLM replica itself (on AWS the load balancer routes it by
 *   name): the replica presents the same lab-CA certificate as the load balancer would;
 * - no relay and no CDN: the TURN and CDN names and the relay address are a deployed stack's,
 *   but nothing answers them;
 * - the components log group is only a name (no CloudWatch agent runs outside an instance).
 */
import { type InstanceRole, type StackOutputs, stackOutputsSchema } from '@multiclaw-lab/deploy';
import type { StandInStack } from '@multiclaw-lab/deploy/startup-testing';

/** inside 198.18.0.0/15 as every lab network is, and apart from the lab topology's own subnets; one staging at a time (Docker refuses a second) */
export const STAGING_SUBNET = '198.18.200.0/24';
const at = (n: number) => `198.18.200.${n}`;
/** the bridge's own address, from which this machine reaches the containers */
export const STAGING_GATEWAY = at(1);
/** the load balancer stand-in: outputs.endpoints.api */
export const ALB_ADDRESS = at(5);
/** where the relay would be; nothing listens there */
export const RELAY_ADDRESS = at(20);

export const STAGING_STACK = 'dockerstg';
/** the RDS endpoint's name, answered on the cloud container's own loopback */
export const DATABASE_HOST = `${STAGING_STACK}-db.rds.test`;
/** container and network label: the staging's name */
export const STAGING_LABEL = 'multiclaw-lab.staging';
/** container label: the lab host id the container stands for */
export const HOST_LABEL = 'multiclaw-lab.staging-host';

export interface StagingHost {
  id: string;
  role: InstanceRole;
  site?: string;
  address: string;
}

export const STAGING_HOSTS: readonly StagingHost[] = [
  { id: 'cloud', role: 'cloud', address: at(10) },
  { id: 'llm', role: 'llm', address: at(40) },
  { id: 's1-d1', role: 'desktop', site: 's1', address: at(111) },
  // a site needs its neighbour (the outputs' schema), and attaching asks every listed host to
  // answer: a container running the neighbour role's script rather than a name no one answers to
  { id: 's1-nb', role: 'neighbour', site: 's1', address: at(112) },
];

function hostAt(role: InstanceRole): StagingHost {
  const host = STAGING_HOSTS.find((h) => h.role === role);
  if (!host) throw new Error(`the docker staging has no ${role} host`);
  return host;
}

/** `docker run --add-host` entries: what the stack's private zones answer, and the RDS name on the cloud's loopback. */
export function nameEntries(stack: StandInStack, host: StagingHost): string[] {
  const entries = [`${stack.names.api}:${ALB_ADDRESS}`, `${stack.names.llm}:${hostAt('llm').address}`];
  if (host.role === 'cloud') entries.push(`${stack.database.host}:127.0.0.1`);
  return entries.flatMap((entry) => ['--add-host', entry]);
}

/** The outputs a deployed stack of this shape reports (checked against the contract's schema). */
export function stagingOutputs(stack: StandInStack): StackOutputs {
  const desktop = hostAt('desktop');
  const neighbour = hostAt('neighbour');
  const logGroup = (name: string) => `/multiclaw-lab/${stack.stack}/${name}`;
  return stackOutputsSchema.parse({
    region: stack.config.region,
    stack: stack.stack,
    names: stack.names,
    endpoints: {
      api: `https://${ALB_ADDRESS}`,
      cdn: stack.cdnUrl,
      llm: `https://${hostAt('llm').address}`,
      turnAddress: stack.relayAddress,
      turnUrls: stack.turnUrls,
    },
    cloudAutoScalingGroup: `${stack.stack}-cloud`,
    hosts: STAGING_HOSTS.map((h) => ({ id: h.id, role: h.role, ...(h.site ? { site: h.site } : {}) })),
    sites: [{ id: 's1', natAddress: desktop.address, desktops: [desktop.id], neighbour: neighbour.id }],
    commandOutputBucket: `${stack.stack}-command-output`,
    logGroups: { components: logGroup('components'), flowLogs: logGroup('flow-logs') },
    caCertificate: stack.tls.tls.caCertificate,
  });
}
