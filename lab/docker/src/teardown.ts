/**
 * Removing a docker lab by its labels: every container and network labelled with the lab's
 * prefix, whoever made them and whether or not the harness that made them still runs. Files the
 * hosts wrote into the harness's folders belong to the container's root; when the harness is not
 * root, they are handed back to it first (from inside a host, which may change any owner), so
 * the state folder can be removed and nothing is left that only root could delete.
 */
import './testcontainers-env.ts';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { getContainerRuntimeClient } from 'testcontainers';
import { StaleEndpointError } from './errors.ts';
import { docker } from './exec.ts';
import { LABEL, labFilter } from './labels.ts';

export interface DockerTeardownReport {
  prefix: string;
  containers: string[];
  networks: string[];
  stateFolders: string[];
  nothingFound: boolean;
  message: string;
}

export interface LabObjects {
  containers: { id: string; name: string; running: boolean; stateDir: string | undefined }[];
  networks: { id: string; name: string }[];
}

/** What of lab `prefix` exists in the Docker daemon. */
export async function labObjects(prefix: string): Promise<LabObjects> {
  const { dockerode } = (await getContainerRuntimeClient()).container;
  const filters = JSON.stringify(labFilter(prefix));
  const [containers, networks] = await Promise.all([
    dockerode.listContainers({ all: true, filters }),
    dockerode.listNetworks({ filters }),
  ]);
  return {
    containers: containers.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      running: c.State === 'running',
      stateDir: c.Labels[LABEL.stateDir],
    })),
    networks: networks.map((n) => ({ id: n.Id, name: n.Name })),
  };
}

/** Gives files made inside the hosts back to the harness's user (nothing to do when it is root). */
async function handBack(objects: LabObjects, stateDir: string | undefined): Promise<void> {
  const uid = process.getuid?.() ?? 0;
  if (uid === 0 || !stateDir) return;
  const host = objects.containers.find((c) => c.running);
  if (!host) return;
  await docker(['exec', host.name, 'chown', '-R', `${uid}:${process.getgid?.() ?? uid}`, stateDir]);
}

/**
 * Removes a lab network. The daemon refuses while an endpoint is still attached (403 "has active
 * endpoints"): a container removed a moment ago whose endpoint it has not let go of yet, or a
 * container someone else attached. Those endpoints are disconnected (the containers themselves
 * are left alone) and the removal tried again, a bounded number of times.
 */
export async function removeNetwork(id: string): Promise<void> {
  const { dockerode } = (await getContainerRuntimeClient()).container;
  const network = dockerode.getNetwork(id);
  for (let attempt = 1; ; attempt++) {
    try {
      await network.remove();
      return;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) return; // gone meanwhile is fine
      if (status !== 403) throw err;
      const info = (await network.inspect()) as { Name?: string; Containers?: Record<string, unknown> };
      if (attempt >= 3) throw Object.keys(info.Containers ?? {}).length === 0 ? new StaleEndpointError(info.Name ?? id) : err;
      for (const container of Object.keys(info.Containers ?? {}))
        await network.disconnect({ Container: container, Force: true }).catch(() => undefined);
    }
  }
}

export async function teardownDockerLab(prefix: string, options: { stateDir?: string } = {}): Promise<DockerTeardownReport> {
  const objects = await labObjects(prefix);
  const stateDir = options.stateDir ?? objects.containers.find((c) => c.stateDir)?.stateDir;
  await handBack(objects, stateDir);
  const { dockerode } = (await getContainerRuntimeClient()).container;
  await Promise.all(
    objects.containers.map((c) =>
      dockerode
        .getContainer(c.id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404) throw err; // gone meanwhile is fine
        }),
    ),
  );
  for (const n of objects.networks) await removeNetwork(n.id);
  const stateFolders: string[] = [];
  if (stateDir) {
    for (const sub of ['run', 'hosts']) {
      const folder = join(stateDir, sub);
      if (
        !(await readdir(folder).then(
          () => true,
          () => false,
        ))
      )
        continue;
      await rm(folder, { recursive: true, force: true });
      stateFolders.push(folder);
    }
  }
  const nothingFound = objects.containers.length === 0 && objects.networks.length === 0 && stateFolders.length === 0;
  const message = nothingFound
    ? `nothing of lab "${prefix}" was there; nothing to remove`
    : `removed lab "${prefix}": ${objects.containers.length} containers, ${objects.networks.length} networks, ${stateFolders.length} state folders`;
  return {
    prefix,
    containers: objects.containers.map((c) => c.name),
    networks: objects.networks.map((n) => n.name),
    stateFolders,
    nothingFound,
    message,
  };
}
