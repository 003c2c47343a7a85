/**
 * One lab host as a container, described with testcontainers' builder: the lab image, an init
 * process that reaps orphans, NET_ADMIN (routes, nftables faults, renaming interfaces), no IPv6,
 * IP forwarding on routers, its addresses on every segment given before it starts, the
 * harness's folders mounted at the same paths (so a file the harness writes into a host's folder
 * is the file a program in the host reads), the host's own /etc/hosts and resolv.conf, and the
 * lab's labels. Ready when its set-up script says so (a wait strategy, as data).
 */
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { READY_LINE } from './host-setup.ts';

export interface HostContainerSpec {
  image: string;
  name: string;
  labels: Record<string, string>;
  /** the first network (Docker accepts one at create time on older engines) and the others */
  networks: { name: string; address: string }[];
  router: boolean;
  /** network sysctls of the host's own namespace (a container cannot change them once started) */
  sysctls?: Record<string, string>;
  /** source → target (same path) bind mounts, read-only where said */
  mounts: { source: string; target: string; mode: 'ro' | 'rw' }[];
  /** the set-up script's path inside the container (a mounted file) */
  setupScript: string;
}

export class HostContainer extends GenericContainer {
  readonly #spec: HostContainerSpec;

  constructor(spec: HostContainerSpec) {
    super(spec.image);
    this.#spec = spec;
    const [first] = spec.networks;
    this.withName(spec.name)
      .withLabels(spec.labels)
      .withAddedCapabilities('NET_ADMIN')
      .withBindMounts(spec.mounts)
      .withNetworkMode(first!.name)
      .withCommand(['sh', '-c', `sh ${spec.setupScript} && exec sleep infinity`])
      .withWaitStrategy(Wait.forLogMessage(READY_LINE))
      .withStartupTimeout(30_000)
      // nothing is ever pulled: the lab builds its images (pnpm lab images)
      .withPullPolicy({ shouldPull: () => false });
    this.hostConfig.Init = true;
    this.hostConfig.Sysctls = {
      'net.ipv6.conf.all.disable_ipv6': '1',
      'net.ipv6.conf.default.disable_ipv6': '1',
      ...(spec.router ? { 'net.ipv4.ip_forward': '1' } : {}),
      ...spec.sysctls,
    };
    this.createOpts.Hostname = spec.labels['multiclaw-lab.host'];
    this.createOpts.NetworkingConfig = {
      EndpointsConfig: { [first!.name]: { IPAMConfig: { IPv4Address: first!.address } } },
    };
  }

  /** the other segments, each with the host's fixed address there, before the container starts */
  protected override async containerCreated(containerId: string): Promise<void> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    for (const network of this.#spec.networks.slice(1)) {
      await client.network.getById(network.name).connect({
        Container: containerId,
        EndpointConfig: { IPAMConfig: { IPv4Address: network.address } },
      });
    }
  }
}

export type StartedHost = StartedTestContainer;
