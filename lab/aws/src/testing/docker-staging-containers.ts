/**
 * The docker objects of a docker staging: its network and its containers, all named after the
 * staging (`mcl-stg-…`) and labelled with that name, and removed by those names.
 */
import { docker } from '@multiclaw-lab/docker';
import { STAGING_GATEWAY, STAGING_HOSTS, STAGING_LABEL, STAGING_SUBNET } from './docker-staging-plan.ts';

/** the container standing for a lab host (or `alb`, the load balancer stand-in) */
export const containerOf = (staging: string, id: string) => `${staging}-${id}`;

const label = (staging: string) => ['--label', `${STAGING_LABEL}=${staging}`];

/**
 * Internal (nothing in it reaches beyond its subnet), with an explicit subnet and gateway: the
 * gateway is this machine's address on the bridge, from which it reaches the containers.
 */
export async function createNetwork(staging: string): Promise<void> {
  const net = await docker([
    'network',
    'create',
    '--internal',
    '--subnet',
    STAGING_SUBNET,
    '--gateway',
    STAGING_GATEWAY,
    ...label(staging),
    staging,
  ]);
  if (net.code !== 0) throw new Error(`docker could not create network ${staging}: ${net.stderr.trim()}`);
}

/** One container on the staging's network at a fixed address; `args` are the rest of `docker run`'s. */
export async function runContainer(staging: string, id: string, address: string, args: string[]): Promise<void> {
  const name = containerOf(staging, id);
  const network = ['--network', staging, '--ip', address];
  const started = await docker(['run', '-d', '--name', name, '--hostname', id, ...network, ...label(staging), ...args]);
  if (started.code !== 0) throw new Error(`docker could not start ${name}: ${started.stderr.trim()}`);
}

/** Removes every container and the network a staging may have made (those never made are skipped by docker). */
export async function removeStaging(staging: string): Promise<void> {
  const containers = [...STAGING_HOSTS.map((h) => h.id), 'alb'].map((id) => containerOf(staging, id));
  await docker(['rm', '-f', '-v', ...containers]);
  await docker(['network', 'rm', staging]);
}
