/**
 * Several cloud processes on the cloud host behind HAProxy, as the AWS stack runs its auto
 * scaling group behind a load balancer. HAProxy takes the cloud's public port (443) and passes
 * TCP through (TLS ends in the cloud, WebSockets are just long connections); the instances listen
 * on the cloud host's loopback, so from outside the host the cloud still has port 443 only.
 *
 * Naming: instance 1 is the service `cloud` (what the lab has with a single instance, so code
 * that names `cloud` keeps working), the others `cloud-2` … `cloud-N`, as the AWS stack names its
 * cloud hosts; all of them are in the service group `cloud` (log lookups by that name cover every
 * instance). HAProxy is the service `cloud-lb`.
 */
import { toolEnv } from '@multiclaw-lab/infra';
import { LabError } from '@multiclaw-lab/kit';
import { PUBLIC_NAMES } from '@multiclaw-lab/network';
import { routes } from '@multiclaw-lab/protocol';
import { MAX_CLOUD_INSTANCES } from './defaults.ts';
import { httpsGet } from './health.ts';
import type { ServiceDef } from './service.ts';

export { MAX_CLOUD_INSTANCES };
/** the service group every cloud instance is in */
export const CLOUD_GROUP = 'cloud';
export const CLOUD_BALANCER_ID = 'cloud-lb';
/** HAProxy's admin socket, in the lab's run folder */
export const CLOUD_BALANCER_SOCKET = 'cloud-lb.sock';
/** where the instances listen inside the cloud host, out of reach of every other host */
export const CLOUD_INSTANCE_ADDRESS = '127.0.0.1';
const FIRST_INSTANCE_PORT = 8444;

/** The cloud instance count asked for, checked: a whole number from 1 to MAX_CLOUD_INSTANCES. */
export function checkCloudInstances(count: number | undefined): number {
  const n = count ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CLOUD_INSTANCES)
    throw new LabError(
      'LAB_BAD_TOPOLOGY',
      `cloud instances must be a whole number from 1 to ${MAX_CLOUD_INSTANCES}, not ${count}`,
      {
        hint: `pnpm lab up --cloud-instances 1–${MAX_CLOUD_INSTANCES}`,
      },
    );
  return n;
}

export interface CloudInstance {
  /** its service id: cloud, cloud-2, … */
  id: string;
  /** its port on CLOUD_INSTANCE_ADDRESS in the cloud host */
  port: number;
}

/** What HAProxy writes when its health checks take an instance out of rotation (DOWN) or put it back (UP). */
export const balancerStateText = (instanceId: string, state: 'UP' | 'DOWN'): string =>
  `Server ${CLOUD_GROUP}/${instanceId} is ${state}`;

/** The instances of a cloud of `count` processes, in order (the first is `cloud`). */
export function cloudInstances(count: number): CloudInstance[] {
  return Array.from({ length: checkCloudInstances(count) }, (_, i) => ({
    id: i === 0 ? CLOUD_GROUP : `${CLOUD_GROUP}-${i + 1}`,
    port: FIRST_INSTANCE_PORT + i,
  }));
}

/**
 * One JSON line per connection, at its end, naming the instance that served it (`server`, a
 * service id) and how it ended (`termination`: HAProxy's two-letter state, `--` when normal).
 * HAProxy fills the fields; the quotes make each a JSON string or number.
 */
const CONNECTION_LOG = [
  '"event":"lb.connection"',
  '"client":"%ci:%cp"',
  '"server":"%s"',
  '"connect_ms":%Tc',
  '"duration_ms":%Tt',
  '"bytes_in":%U',
  '"bytes_out":%B',
  // a string: HAProxy writes "+1" when it sent the connection to another instance
  '"retries":"%rc"',
  '"termination":"%ts"',
].join(',');

export interface BalancerConfig {
  /** the cloud host's public address; HAProxy listens on it, port 443 */
  address: string;
  instances: readonly CloudInstance[];
  /** HAProxy's admin socket (`show servers state`, `disable server`), in the lab's state folder */
  adminSocket: string;
  /** the cloud host's trust bundle: health checks verify the instances' certificate against it */
  caFile: string;
}

/**
 * HAProxy's configuration. Timeouts: the cloud pings every realtime socket every 15 s and drops
 * it after 10 s more without an answer, so an established connection (a tunnel, in TCP mode)
 * may stay quiet for a while and is never cut by HAProxy; the heartbeat, not HAProxy, decides
 * when a silent peer is gone. A connection an instance refuses is tried again on another one.
 *
 * Health checks are what the staging stack's load balancer asks: GET /healthz over TLS (the
 * certificate verified), 200 expected, three misses take an instance out, two answers put it
 * back. A busy instance must not look dead: in a reconnect storm its event loop is behind on TLS
 * handshakes, and once its accept queue is full the kernel drops SYNs, which are sent again after
 * 1 s and 3 s. Checks that gave up after 500 ms took both instances out of a storm of 2,000 (every
 * connection then refused, the storm 3× slower than on one instance). So a check may take 5 s to
 * connect (HAProxy allows min(timeout connect, inter)) and 5 s to answer, and an instance is out
 * only after three checks 5 s apart missed. A dead instance still goes at once: its port refuses,
 * and every client connection it refuses counts as a missed check (observe layer4); once out, it
 * is checked every half second, so a restarted one is back within about 1 s.
 */
export function haproxyConfig(c: BalancerConfig): string {
  const servers = c.instances.map((i) => `  server ${i.id} ${CLOUD_INSTANCE_ADDRESS}:${i.port}`);
  return [
    'global',
    // stdout: the lab collects it as the service's log
    '  log stdout format raw local0 info',
    `  stats socket ${c.adminSocket} mode 600 level admin`,
    '',
    'defaults',
    '  log global',
    '  mode tcp',
    '  option dontlognull',
    `  log-format '{${CONNECTION_LOG}}'`,
    // on the host's loopback a connection is made or refused at once, unless the instance's
    // accept queue is full: then SYNs are dropped and sent again after 1 s and 3 s
    '  timeout connect 5s',
    '  timeout check 5s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout tunnel 1h',
    '  timeout client-fin 10s',
    '',
    'frontend cloud',
    `  bind ${c.address}:443`,
    '  default_backend cloud',
    '',
    'backend cloud',
    '  balance leastconn',
    '  option redispatch 1',
    '  retries 3',
    '  option httpchk',
    `  http-check send meth GET uri ${routes.health.path} ver HTTP/1.1 hdr host ${PUBLIC_NAMES.api}`,
    '  http-check expect status 200',
    `  default-server check check-ssl verify required ca-file ${c.caFile} check-sni ${PUBLIC_NAMES.api} verifyhost ${PUBLIC_NAMES.api} inter 5s downinter 500ms fall 3 rise 2 observe layer4 error-limit 1 on-error fail-check`,
    ...servers,
    '',
  ].join('\n');
}

/** HAProxy as a lab service in the cloud host, from a configuration file written beforehand. */
export function cloudBalancerDef(o: { host: string; configFile: string }): ServiceDef {
  return {
    id: CLOUD_BALANCER_ID,
    kind: 'lb',
    host: o.host,
    command: 'haproxy',
    // master-worker in the foreground: the master says when it has bound the port and forked
    // the worker (there is no other line that means ready); stopping the master stops the worker
    args: ['-W', '-db', '-f', o.configFile],
    // PATH with the sbin folders, where Debian puts haproxy
    env: toolEnv(),
    ready: (line) => line.text.includes('Loading success.'),
    stopSignal: 'SIGTERM',
    // through HAProxy to whichever instance it picks, by the public name, as a client would
    health: httpsGet(`https://${PUBLIC_NAMES.api}/healthz`, (status) => status === 200),
  };
}
