/**
 * The docker staging's transport: the aws driver's scripts by `docker exec`, and the running
 * hosts as the stack's running instances are found on AWS (by the labels the containers carry
 * rather than the tags instances carry), so attaching sees a stopped container as it would a
 * stopped instance.
 */
import { docker } from '@multiclaw-lab/docker';
import { DockerTransport } from '../docker-transport.ts';
import type { ResolvedHost } from '../ssm/instances.ts';
import type { AttachTransport } from '../stack/attach.ts';
import { HOST_LABEL, STAGING_HOSTS, STAGING_LABEL } from './docker-staging-plan.ts';

export class DockerStagingTransport extends DockerTransport implements AttachTransport {
  readonly #staging: string;

  constructor(staging: string, container: (hostId: string) => string) {
    super(container);
    this.#staging = staging;
  }

  /** Every running container of the staging that stands for a lab host, with its container id as the instance id. */
  async hosts(): Promise<ResolvedHost[]> {
    const ps = await docker([
      'ps',
      '--filter',
      `label=${STAGING_LABEL}=${this.#staging}`,
      '--filter',
      'status=running',
      '--format',
      `{{.ID}}\t{{.Label "${HOST_LABEL}"}}`,
    ]);
    if (ps.code !== 0) throw new Error(`docker ps failed: ${ps.stderr.trim()}`);
    const hosts: ResolvedHost[] = [];
    for (const line of ps.stdout.trim().split('\n')) {
      const [id, hostId] = line.split('\t');
      const planned = STAGING_HOSTS.find((h) => h.id === hostId);
      // the load balancer stand-in carries no host label: it is no instance
      if (id && planned) hosts.push({ hostId: planned.id, instanceId: id, privateAddress: planned.address });
    }
    return hosts.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}
