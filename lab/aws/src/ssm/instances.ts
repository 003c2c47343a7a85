/**
 * Which EC2 instance is a lab host, found by the tags every instance of a staging stack carries
 * (deploy/src/outputs.ts). Ids are looked up each time and never kept: the cloud's auto scaling
 * group replaces instances, and a replaced one comes back with the same tags and a new id.
 *
 * Cloud instances carry no host tag of their own (the group makes them alike) but ROLE_TAG=cloud.
 * They are numbered by launch time, oldest first (ties by instance id): `cloud` is the first,
 * `cloud-2`, `cloud-3`… the others. So `cloud` names one instance, never all of them, and the
 * numbers move when the group replaces an instance.
 */
import { DescribeInstancesCommand, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { HOST_TAG, ROLE_TAG, STACK_TAG } from '@multiclaw-lab/deploy';
import { AwsApiError, AwsHostAmbiguousError, AwsHostNotFoundError } from '../errors.ts';

export interface ResolvedHost {
  hostId: string;
  instanceId: string;
  launchTime?: Date;
  /** its address in its VPC (inside 198.18.0.0/16 by the stack's address plan) */
  privateAddress?: string;
}

/** What a lab host is, as its instance says. */
function resolved(hostId: string, instance: Instance): ResolvedHost {
  return {
    hostId,
    instanceId: instance.InstanceId!,
    ...(instance.LaunchTime ? { launchTime: instance.LaunchTime } : {}),
    ...(instance.PrivateIpAddress ? { privateAddress: instance.PrivateIpAddress } : {}),
  };
}

const CLOUD_HOST = /^cloud(?:-([2-9]|[1-9][0-9]+))?$/;

/** The position among the cloud instances a host id names (0 for `cloud`), or undefined when it is no cloud id. */
export function cloudIndex(hostId: string): number | undefined {
  const m = CLOUD_HOST.exec(hostId);
  if (!m) return undefined;
  return m[1] === undefined ? 0 : Number(m[1]) - 1;
}

/** The lab host id of the cloud instance at `index` among them (the inverse of cloudIndex). */
export function cloudHostId(index: number): string {
  return index === 0 ? 'cloud' : `cloud-${index + 1}`;
}

function tag(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

/** Oldest first, then by id, so the numbering is the same for every caller. */
export function byLaunchTime(a: Instance, b: Instance): number {
  const ta = a.LaunchTime?.getTime() ?? 0;
  const tb = b.LaunchTime?.getTime() ?? 0;
  return ta - tb || (a.InstanceId ?? '').localeCompare(b.InstanceId ?? '');
}

export class InstanceDirectory {
  readonly #ec2: EC2Client;
  readonly stack: string;

  constructor(ec2: EC2Client, stack: string) {
    this.#ec2 = ec2;
    this.stack = stack;
  }

  async #describe(filters: Filter[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    let token: string | undefined;
    do {
      const page = await this.#ec2
        .send(new DescribeInstancesCommand({ Filters: filters, ...(token ? { NextToken: token } : {}) }))
        .catch((err: unknown) => {
          throw new AwsApiError('EC2 DescribeInstances', `stack ${this.stack}`, err);
        });
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
      token = page.NextToken;
    } while (token);
    return instances;
  }

  #filters(hostId: string, running: boolean): Filter[] {
    const which =
      cloudIndex(hostId) === undefined
        ? { Name: `tag:${HOST_TAG}`, Values: [hostId] }
        : { Name: `tag:${ROLE_TAG}`, Values: ['cloud'] };
    return [
      { Name: `tag:${STACK_TAG}`, Values: [this.stack] },
      which,
      ...(running ? [{ Name: 'instance-state-name', Values: ['running'] }] : []),
    ];
  }

  /** What there is of a host that is not running, for the message ("i-0ab… is stopped"). */
  async #notRunning(hostId: string): Promise<string> {
    const all = await this.#describe(this.#filters(hostId, false));
    if (all.length === 0) return 'no instance carries its tags';
    return `only ${all.map((i) => `${i.InstanceId} (${i.State?.Name ?? 'unknown state'})`).join(', ')}`;
  }

  /** The running instance behind a lab host id. */
  async resolve(hostId: string): Promise<ResolvedHost> {
    const index = cloudIndex(hostId);
    const running = (await this.#describe(this.#filters(hostId, true))).sort(byLaunchTime);
    if (index !== undefined) {
      const instance = running[index];
      if (!instance) {
        const detail =
          running.length === 0
            ? await this.#notRunning(hostId)
            : `there are ${running.length} running cloud instances (cloud${running.length > 1 ? ` … ${cloudHostId(running.length - 1)}` : ''})`;
        throw new AwsHostNotFoundError(hostId, this.stack, detail);
      }
      return resolved(hostId, instance);
    }
    if (running.length === 0) throw new AwsHostNotFoundError(hostId, this.stack, await this.#notRunning(hostId));
    if (running.length > 1)
      throw new AwsHostAmbiguousError(
        hostId,
        this.stack,
        running.map((i) => i.InstanceId!),
      );
    return resolved(hostId, running[0]!);
  }

  /** Every running instance of the stack by lab host id (cloud instances numbered as above). */
  async all(): Promise<ResolvedHost[]> {
    const running = (
      await this.#describe([
        { Name: `tag:${STACK_TAG}`, Values: [this.stack] },
        { Name: 'instance-state-name', Values: ['running'] },
      ])
    ).sort(byLaunchTime);
    const hosts: ResolvedHost[] = [];
    let cloud = 0;
    for (const instance of running) {
      const hostId = tag(instance, ROLE_TAG) === 'cloud' ? cloudHostId(cloud++) : tag(instance, HOST_TAG);
      if (hostId === undefined) continue; // not a lab host (none is made without tags, but the account may hold others)
      hosts.push(resolved(hostId, instance));
    }
    return hosts.sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}
