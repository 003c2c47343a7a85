/**
 * The aws driver attached to a deployed staging stack: its topology from the stack's outputs and
 * running instances, its commands through Systems Manager, and the harness's checkout mapped onto
 * the components bundle each instance unpacked (so a program of the checkout runs there as here).
 */
import { fileURLToPath } from 'node:url';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import { INSTANCE_APP_DIR } from '@multiclaw-lab/deploy/instance-layout';
import { AwsDriver } from '../aws-driver.ts';
import type { AwsClientOptions } from '../ssm/clients.ts';
import type { ResolvedHost } from '../ssm/instances.ts';
import { SsmTransport } from '../ssm/ssm-transport.ts';
import type { InstanceTransport } from '../transport.ts';
import { stagingTopology } from './topology.ts';

/** the checkout this harness runs from: the bundle is made from it (lab/aws/src/stack → four levels up) */
const CHECKOUT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');

export async function stagingDriver(
  outputs: StackOutputs,
  options: { prefix: string; stateDir: string; client?: Omit<AwsClientOptions, 'region'> },
): Promise<AwsDriver> {
  const transport = SsmTransport.fromOutputs(outputs, options.client);
  return driverOver(outputs, transport, await transport.hosts(), options);
}

/** The same driver over another transport (a docker staging's containers) and the hosts it found. */
export function driverOver(
  outputs: StackOutputs,
  transport: InstanceTransport,
  running: readonly ResolvedHost[],
  options: { prefix: string; stateDir: string },
): AwsDriver {
  return new AwsDriver(stagingTopology(outputs, running), transport, {
    prefix: options.prefix,
    stateDir: options.stateDir,
    paths: { from: CHECKOUT, to: INSTANCE_APP_DIR },
  });
}
