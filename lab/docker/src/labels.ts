/**
 * Everything the docker driver makes carries these labels, and teardown removes exactly what
 * carries them: also after the harness was killed (testcontainers' Ryuk reaper cannot be pulled
 * on machines without a registry, so it is off and the lab reaps by label itself).
 */
export const LABEL = {
  prefix: 'multiclaw-lab.prefix',
  host: 'multiclaw-lab.host',
  role: 'multiclaw-lab.role',
  segment: 'multiclaw-lab.segment',
  /** the harness's state folder, so a reaper can hand files made in the hosts back to their owner */
  stateDir: 'multiclaw-lab.state-dir',
} as const;

/** a container's name: `<prefix>-<hostId>` */
export function containerName(prefix: string, hostId: string): string {
  return `${prefix}-${hostId}`;
}

/** a Docker network's name: `<prefix>-<segmentId>` */
export function networkName(prefix: string, segmentId: string): string {
  return `${prefix}-${segmentId}`;
}

/** the Docker API filter that selects what one lab made */
export function labFilter(prefix: string): { label: string[] } {
  return { label: [`${LABEL.prefix}=${prefix}`] };
}
