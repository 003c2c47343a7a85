/**
 * A service the lab does not run but follows: a deployed stack's own service (systemd unit, or
 * its stand-in in a container) whose JSON lines go to a file on its host. Its handle is a
 * `tail -F` of that file started through the driver, so scenarios read its events exactly as
 * they read those of a service the lab started; it cannot be stopped or restarted from here.
 */
import { launch } from '@multiclaw-lab/kit';
import type { HostProcesses } from '@multiclaw-lab/network';
import type { HealthCheck } from './health.ts';
import type { ServiceDef, ServiceKind } from './service.ts';

/**
 * Follows from the file's size when it starts, announcing that first: no line written after the
 * announcement is missed, none written before it is read twice.
 */
export const FOLLOW_SCRIPT = [
  'f=$1',
  'size=$(stat -c %s "$f" 2>/dev/null || echo 0)',
  'printf \'{"event":"lab.following","file":"%s","from":%s}\\n\' "$f" "$size"',
  'exec tail -c +$((size + 1)) -F "$f" 2>/dev/null',
].join('; ');

export interface FollowedService {
  id: string;
  kind: ServiceKind;
  host: string;
  /** its JSON-lines output on its host */
  logFile: string;
  health: HealthCheck;
  /** who runs it, for the refusal to stop or restart it ("a service of the deployed stack") */
  managedBy: string;
}

export function followedServiceDef(driver: Pick<HostProcesses, 'spawn'>, s: FollowedService): ServiceDef {
  const args = ['-c', FOLLOW_SCRIPT, 'follow', s.logFile];
  return {
    id: s.id,
    kind: s.kind,
    // a stack's cloud hosts (cloud, cloud-2, …) are instances of one cloud, as a local lab's are
    ...(s.kind === 'cloud' ? { group: 'cloud' } : {}),
    host: s.host,
    command: 'sh',
    args,
    env: {},
    health: s.health,
    external: `it is ${s.managedBy}; the lab only follows its log (${s.logFile} on ${s.host})`,
    start: () =>
      launch({
        name: s.id,
        spawn: () => driver.spawn(s.host, 'sh', args),
        ready: (line) => line.json?.event === 'lab.following',
        readyTimeoutMs: 60_000,
      }),
  };
}
