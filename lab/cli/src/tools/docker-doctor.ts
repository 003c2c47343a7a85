/**
 * The doctor's docker section: what the docker driver needs from this machine (a docker command,
 * a daemon that answers, the lab images or what builds them) and how the daemon is set up. It
 * is judged here from what was observed, so its unit tests show every verdict without a daemon.
 * The lab gives every Docker network an explicit subnet inside 198.18.0.0/15, so a daemon whose
 * own pools lie elsewhere is shown, not refused.
 */
import type { DaemonFacts, DockerAccess } from '../docker-access.ts';
import type { MachineProbe } from './probe.ts';

export interface DockerCheck {
  id: string;
  /** note: worth knowing, keeps nothing from working */
  status: 'ok' | 'missing' | 'note';
  found: string;
  /** what to run, or what it means, when not ok */
  fix?: string;
}

export interface DockerSection {
  /** true when nothing is missing (notes allowed) */
  ok: boolean;
  checks: DockerCheck[];
}

export interface DockerObservations {
  isRoot: boolean;
  /** path of the docker command */
  dockerCommand?: string;
  daemon: DaemonFacts;
  /** imageProblems(); undefined when no daemon answered (nothing to ask) */
  imageProblems?: string[];
  mmdebstrap?: string;
  /** path of newuidmap (package uidmap) */
  newuidmap?: string;
  subordinate: { uids: string[]; gids: string[] };
}

export const START_DAEMON = 'sudo bash scripts/dockerd.sh';

/** Whether an IPv4 CIDR lies wholly inside 198.18.0.0/15, the lab's only range. */
export function insideLabRange(cidr: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+\/(\d+)$/.exec(cidr);
  if (!m) return false;
  return m[1] === '198' && (m[2] === '18' || m[2] === '19') && Number(m[3]) >= 15 && Number(m[3]) <= 32;
}

function daemonCheck(daemon: DaemonFacts): DockerCheck {
  if (daemon.version) return { id: 'daemon', status: 'ok', found: `answers (Docker ${daemon.version})` };
  const error = daemon.error ?? 'no answer';
  const fix = /permission denied/i.test(error)
    ? 'the socket is the docker group\'s: sudo usermod -aG docker "$USER", then log in again (or: newgrp docker)'
    : `start one by hand: ${START_DAEMON}   (installs Debian's docker.io when missing; bridge and pools inside 198.18.0.0/15, no iptables, socket group docker)`;
  return { id: 'daemon', status: 'missing', found: error, fix };
}

function rangesCheck(daemon: DaemonFacts): DockerCheck {
  const pools = daemon.addressPools.length > 0 ? daemon.addressPools : ["Docker's built-in private ranges"];
  const found = `default address pools ${pools.join(', ')}; default bridge ${daemon.bridgeSubnets.join(', ') || 'none'}`;
  const outside = [...daemon.addressPools, ...daemon.bridgeSubnets].filter((c) => !insideLabRange(c));
  if (daemon.addressPools.length > 0 && outside.length === 0)
    return { id: 'address ranges', status: 'ok', found: `${found}: inside 198.18.0.0/15` };
  return {
    id: 'address ranges',
    status: 'note',
    found: `${found}: ${daemon.addressPools.length === 0 ? 'not' : `${outside.join(', ')} not`} inside 198.18.0.0/15`,
    fix:
      'lab networks always get explicit subnets inside 198.18.0.0/15, so the lab still keeps to its range; ' +
      `only containers outside the lab use these. ${START_DAEMON} starts a daemon with them inside`,
  };
}

function imagesCheck(problems: string[] | undefined): DockerCheck {
  if (problems === undefined) return { id: 'lab images', status: 'note', found: 'not looked at: no daemon answers' };
  if (problems.length === 0) return { id: 'lab images', status: 'ok', found: 'base and host images built and current' };
  return {
    id: 'lab images',
    status: 'note',
    found: problems.join('; '),
    fix: 'pnpm lab images builds them (offline, a few minutes); the first pnpm lab up --driver docker does too',
  };
}

/**
 * What builds the base image is missing: a failure while the images must still be built, only a
 * note once they are (it matters again when their inputs change).
 */
function builderCheck(mustBuild: boolean, check: DockerCheck): DockerCheck {
  if (check.status === 'ok' || mustBuild) return check;
  return { ...check, status: 'note', found: `${check.found} (needed again only to rebuild the images)` };
}

export function dockerChecks(o: DockerObservations): DockerSection {
  const sudo = o.isRoot ? '' : 'sudo ';
  const mustBuild = o.imageProblems === undefined || o.imageProblems.length > 0;
  const builder = (check: DockerCheck) => builderCheck(mustBuild, check);
  const checks: DockerCheck[] = [
    o.dockerCommand
      ? { id: 'docker command', status: 'ok', found: o.dockerCommand }
      : {
          id: 'docker command',
          status: 'missing',
          found: 'no docker on PATH',
          fix: `${START_DAEMON}   (installs Debian's docker.io and starts it)`,
        },
    daemonCheck(o.daemon),
  ];
  if (o.daemon.version) checks.push(rangesCheck(o.daemon));
  checks.push(imagesCheck(o.imageProblems));
  checks.push(
    builder(
      o.mmdebstrap
        ? { id: 'mmdebstrap', status: 'ok', found: o.mmdebstrap }
        : {
            id: 'mmdebstrap',
            status: 'missing',
            found: 'builds the base image (Debian bookworm, offline from the apt cache)',
            fix: `${sudo}pnpm lab doctor --install   (or: ${sudo}apt-get install -y --no-install-recommends mmdebstrap)`,
          },
    ),
  );
  if (!o.isRoot) {
    // mmdebstrap run by a user builds in a user namespace: newuidmap and ranges of subordinate ids
    checks.push(
      builder(
        o.newuidmap
          ? { id: 'uidmap', status: 'ok', found: o.newuidmap }
          : {
              id: 'uidmap',
              status: 'missing',
              found: 'newuidmap/newgidmap: mmdebstrap as a user needs them',
              fix: 'sudo apt-get install -y --no-install-recommends uidmap',
            },
      ),
    );
    const { uids, gids } = o.subordinate;
    checks.push(
      builder(
        uids.length > 0 && gids.length > 0
          ? { id: 'subuid/subgid', status: 'ok', found: `${uids[0]} / ${gids[0]}` }
          : {
              id: 'subuid/subgid',
              status: 'missing',
              found: `no range of subordinate ${uids.length === 0 ? 'uids (/etc/subuid)' : 'gids (/etc/subgid)'} for this user`,
              fix: 'sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 "$USER"',
            },
      ),
    );
  }
  return { ok: checks.every((c) => c.status !== 'missing'), checks };
}

/** Looks at the machine and the daemon; asks the daemon about images only when it answers. */
export async function observeDocker(probe: MachineProbe, access: DockerAccess): Promise<DockerObservations> {
  const daemon = await access.daemonFacts();
  return {
    isRoot: probe.isRoot,
    dockerCommand: probe.which('docker'),
    daemon,
    ...(daemon.version ? { imageProblems: await access.imageProblems().catch((err: unknown) => [String(err)]) } : {}),
    mmdebstrap: probe.which('mmdebstrap'),
    newuidmap: probe.which('newuidmap'),
    subordinate: probe.isRoot ? { uids: [], gids: [] } : await access.subordinateRanges(),
  };
}

const MARK: Record<DockerCheck['status'], string> = { ok: 'ok', missing: 'MISSING', note: 'NOTE' };

/**
 * A doctor section as text: its heading, a table of its checks (id, status, what was found) under
 * the column title `first`, how to get what is missing, and a closing verdict.
 */
export function formatCheckSection(section: DockerSection, text: { heading: string; first: string; verdict: string }): string {
  const rows = section.checks.map((c) => [c.id, MARK[c.status], c.found]);
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length), i === 0 ? text.first.length : 'status'.length));
  const line = (r: string[]) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`.trimEnd();
  const out = [text.heading, line([text.first, 'status', 'found']), ...rows.map(line)];
  const open = section.checks.filter((c) => c.status !== 'ok' && c.fix);
  if (open.length > 0) {
    out.push('');
    for (const c of open) out.push(`  ${c.id}: ${c.fix}`);
  }
  out.push('', text.verdict);
  return `${out.join('\n')}\n`;
}

/**
 * The section as text. `needed`: the driver this machine picks is docker, so what is missing
 * here fails the doctor; otherwise it is for information.
 */
export function formatDockerSection(section: DockerSection, needed: boolean): string {
  return formatCheckSection(section, {
    heading: `docker driver (pnpm lab up --driver docker; ${needed ? 'the driver this machine picks' : 'not needed for the netns driver'})`,
    first: 'docker',
    verdict: section.ok
      ? 'the docker driver has what it needs'
      : `the docker driver cannot run yet${needed ? '' : ' (the netns driver does not need it)'}`,
  });
}
