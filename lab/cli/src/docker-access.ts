/**
 * What the command line asks of the Docker daemon: whether one answers, what it is set up with
 * (for the doctor), and removing a docker lab by its labels (for `down`). One object, so the
 * commands' tests swap it for a fake and never need a daemon. The docker package is loaded only
 * when a docker lab is removed or the images are asked about, so the other commands stay quick.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import type { DockerTeardownReport } from '@multiclaw-lab/docker';

const run = promisify(execFile);

/** What `docker info` and `docker network inspect bridge` say, raw; tools/docker-doctor.ts judges it. */
export interface DaemonFacts {
  /** the server's version, or undefined when no daemon answered */
  version?: string;
  /** why no daemon answered (no docker command, no socket, no permission on it) */
  error?: string;
  /** the bases of the daemon's default address pools; empty: Docker's built-in ones */
  addressPools: string[];
  /** the default bridge network's subnets */
  bridgeSubnets: string[];
}

export interface DockerAccess {
  /** the daemon's version, or undefined when none answers (looked up quickly, for `down`) */
  daemonVersion(): Promise<string | undefined>;
  daemonFacts(): Promise<DaemonFacts>;
  /** what keeps the lab images from being ready; empty when both are current */
  imageProblems(): Promise<string[]>;
  /** the user's subordinate uid and gid ranges (/etc/subuid, /etc/subgid), as their lines */
  subordinateRanges(): Promise<{ uids: string[]; gids: string[] }>;
  /** names of the containers labelled with this prefix; empty when none, or no daemon answers */
  labContainers(prefix: string): Promise<string[]>;
  /** removes every container and network labelled with this prefix, and the lab's run/ and hosts/ */
  teardown(prefix: string, options: { stateDir?: string }): Promise<DockerTeardownReport>;
}

async function dockerOut(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 15_000 });
  return stdout.trim();
}

function whyNot(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string; killed?: boolean };
  if (e.code === 'ENOENT') return 'there is no docker command';
  if (e.killed) return 'the docker command did not answer within 15 s';
  // the client prints its own details first; the daemon's complaint is the last line
  return (e.stderr ?? '').trim().split('\n').at(-1) || e.message;
}

/** The lines of a subordinate-id file that belong to this user (by name or by uid). */
async function rangesOf(file: string, name: string, uid: number): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => {
      const owner = l.split(':')[0];
      return owner === name || owner === String(uid);
    });
}

export function systemDockerAccess(): DockerAccess {
  return {
    daemonVersion: () => dockerOut(['version', '--format', '{{.Server.Version}}']).catch(() => undefined),
    async daemonFacts() {
      let info: { ServerVersion?: string; DefaultAddressPools?: Array<{ Base: string }> | null };
      try {
        info = JSON.parse(await dockerOut(['info', '--format', '{{json .}}']));
      } catch (err) {
        return { error: whyNot(err), addressPools: [], bridgeSubnets: [] };
      }
      if (!info.ServerVersion) return { error: 'docker info names no server', addressPools: [], bridgeSubnets: [] };
      const bridge = await dockerOut(['network', 'inspect', 'bridge', '--format', '{{json .IPAM.Config}}'])
        .then((out) => (JSON.parse(out) as Array<{ Subnet?: string }> | null) ?? [])
        .catch(() => []);
      return {
        version: info.ServerVersion,
        addressPools: (info.DefaultAddressPools ?? []).map((p) => p.Base),
        bridgeSubnets: bridge.flatMap((c) => (c.Subnet ? [c.Subnet] : [])),
      };
    },
    async imageProblems() {
      // the images part alone: it does not load the container client
      const { imageProblems } = await import('@multiclaw-lab/docker/images');
      return imageProblems();
    },
    async subordinateRanges() {
      const { username, uid } = userInfo();
      const [uids, gids] = await Promise.all([rangesOf('/etc/subuid', username, uid), rangesOf('/etc/subgid', username, uid)]);
      return { uids, gids };
    },
    labContainers: (prefix) =>
      // the label key is the docker package's LABEL.prefix; the command line spells it so as not to load that package
      dockerOut(['ps', '--all', '--filter', `label=multiclaw-lab.prefix=${prefix}`, '--format', '{{.Names}}'])
        .then((out) => out.split('\n').filter(Boolean))
        .catch(() => []),
    async teardown(prefix, options) {
      const { teardownDockerLab } = await import('@multiclaw-lab/docker');
      return teardownDockerLab(prefix, options);
    },
  };
}
