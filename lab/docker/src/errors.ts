import { LabError } from '@multiclaw-lab/kit';

/** Another docker lab holds subnets this lab needs: Docker refuses overlapping networks. */
export class NetworksInUseError extends LabError {
  readonly otherPrefixes: string[];
  constructor(prefix: string, others: { prefix: string; network: string; subnet: string }[]) {
    const shown = others.map((o) => `${o.network} (${o.subnet}, lab "${o.prefix}")`).join(', ');
    const prefixes = [...new Set(others.map((o) => o.prefix))];
    super('LAB_NETWORKS_IN_USE', `lab "${prefix}" cannot make its networks: ${shown} already use its subnets`, {
      hint: `take the other lab down first (LAB_PREFIX=${prefixes[0]} pnpm lab down) or wait for it to finish`,
    });
    this.otherPrefixes = prefixes;
  }
}

/**
 * Docker refuses to remove a lab network for an endpoint no container holds any more: a stale
 * endpoint in the daemon's own store (seen with Docker 20.10 after a container removal), which
 * only a restart of the daemon clears.
 */
export class StaleEndpointError extends LabError {
  constructor(network: string) {
    super(
      'LAB_DOCKER_STALE_ENDPOINT',
      `Docker keeps a stale endpoint in network ${network}: no container is attached, yet it refuses to remove it`,
      {
        hint: 'restart the Docker daemon (the one scripts/dockerd.sh started: stop it, then sudo bash scripts/dockerd.sh; or systemctl restart docker), then pnpm lab down again',
      },
    );
  }
}
