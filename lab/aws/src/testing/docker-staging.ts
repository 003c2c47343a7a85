/**
 * A docker staging: a staging stack's instances as containers of the docker driver's base image,
 * each brought up by its own role's generated start-up script (deploy/src/startup) as cloud-init
 * would run it, so the harness attaches to it exactly as to a deployed stack: the outputs a
 * deployed stack reports, and a transport that delivers the aws driver's scripts with
 * `docker exec` instead of Systems Manager.
 *
 * Around each container, on its own loopback, stand the AWS services its script talks to (moto
 * for S3, Secrets Manager and IMDS; a TLS-only PostgreSQL for RDS on the cloud's), the very
 * stand-ins of the start-up script's own test (@multiclaw-lab/deploy/startup-testing); the
 * environment and secret files each role gets are those of the stack's runtime (stack/runtime.ts).
 * The load balancer is a socat container (alb-stand-in.ts says why that is enough); what else
 * differs from AWS is listed in docker-staging-plan.ts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import {
  buildStandInAgents,
  makeStandInFixtures,
  makeStandInStack,
  type StandInFixtures,
  stackSecretValues,
} from '@multiclaw-lab/deploy/startup-testing';
import { ensureLabImages } from '@multiclaw-lab/docker';
import { albCommand, waitListening, writeListenerCertificate } from './alb-stand-in.ts';
import { containerOf, createNetwork, removeStaging, runContainer } from './docker-staging-containers.ts';
import { bringUpHost } from './docker-staging-host.ts';
import {
  ALB_ADDRESS,
  DATABASE_HOST,
  HOST_LABEL,
  nameEntries,
  RELAY_ADDRESS,
  STAGING_HOSTS,
  STAGING_STACK,
  STAGING_SUBNET,
  stagingOutputs,
} from './docker-staging-plan.ts';
import { DockerStagingTransport } from './docker-staging-transport.ts';

export { DockerStagingTransport } from './docker-staging-transport.ts';

export interface DockerStaging extends AsyncDisposable {
  /** the network's name, the prefix of every container's and their label's value */
  readonly name: string;
  readonly outputs: StackOutputs;
  readonly transport: DockerStagingTransport;
  /** the container standing for a lab host (or for the load balancer: `alb`) */
  containerOf(hostId: string): string;
  /** removes every container and the network it made, and the fixtures folder */
  down(): Promise<void>;
}

/** Removes what was made, once however often it is asked (down(), dispose, a failed start). */
function teardown(name: string, fixtures: () => StandInFixtures | undefined) {
  let done: Promise<void> | undefined;
  return () => {
    done ??= removeStaging(name).then(() => fixtures()?.remove());
    return done;
  };
}

export async function startDockerStaging(options: { onProgress?(line: string): void } = {}): Promise<DockerStaging> {
  const progress = options.onProgress ?? (() => undefined);
  const name = `mcl-stg-${randomBytes(4).toString('hex')}`;
  let fixtures: StandInFixtures | undefined;
  const down = teardown(name, () => fixtures);
  try {
    const images = await ensureLabImages({ onProgress: progress });
    const stack = await makeStandInStack({ stack: STAGING_STACK, databaseHost: DATABASE_HOST, relayAddress: RELAY_ADDRESS });
    const outputs = stagingOutputs(stack);
    progress('building the components bundle and the stand-ins’ fixtures');
    const made = await makeStandInFixtures({ secrets: stackSecretValues(stack), database: stack.database });
    fixtures = made;
    const albMount = await writeListenerCertificate(join(made.dir, 'alb'), stack);

    progress(`creating network ${name} (${STAGING_SUBNET})`);
    await createNetwork(name);
    progress(`starting ${STAGING_HOSTS.length} instance containers and the load balancer stand-in`);
    const cloud = STAGING_HOSTS.find((h) => h.role === 'cloud')!;
    await Promise.all([
      ...STAGING_HOSTS.map((h) =>
        runContainer(name, h.id, h.address, [
          '--label',
          `${HOST_LABEL}=${h.id}`,
          // as on an instance, binding 443 takes CAP_NET_BIND_SERVICE (Docker's default lets anyone)
          '--sysctl',
          'net.ipv4.ip_unprivileged_port_start=1024',
          ...nameEntries(stack, h),
          ...made.mounts,
          images.base.name,
          'sleep',
          'infinity',
        ]),
      ),
      runContainer(name, 'alb', ALB_ADDRESS, [...albMount, images.base.name, ...albCommand(cloud.address)]),
    ]);

    // once, into the folder every container shares
    const agents = await buildStandInAgents(made, containerOf(name, cloud.id));
    // every host at once, as a stack's instances boot; every failure is reported, not the first
    const results = await Promise.allSettled(
      STAGING_HOSTS.map((h) =>
        bringUpHost({ host: h, container: containerOf(name, h.id), stack, outputs, fixtures: made, agents, progress }),
      ),
    );
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    if (failed.length > 0) throw new Error(`the docker staging did not come up:\n${failed.join('\n\n')}`);
    await waitListening(containerOf(name, 'alb'));
    progress(`docker staging ${name} is up; its load balancer stand-in listens at ${outputs.endpoints.api}`);

    return {
      name,
      outputs,
      transport: new DockerStagingTransport(name, (id) => containerOf(name, id)),
      containerOf: (hostId) => containerOf(name, hostId),
      down,
      [Symbol.asyncDispose]: down,
    };
  } catch (err) {
    progress(`removing what was made of ${name}`);
    await down();
    throw err;
  }
}
