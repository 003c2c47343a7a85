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
