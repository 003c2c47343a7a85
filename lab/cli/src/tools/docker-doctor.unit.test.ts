import { describe, expect, it } from 'vitest';
import type { DockerAccess } from '../docker-access.ts';
import { TOOLS, toolsFor } from './catalog.ts';
import { type DockerObservations, dockerChecks, formatDockerSection, insideLabRange, observeDocker } from './docker-doctor.ts';
import { fakeProbe } from './testing-probe.ts';

/** A root machine whose daemon was started by scripts/dockerd.sh, images built. */
const healthy: DockerObservations = {
  isRoot: true,
  dockerCommand: '/usr/bin/docker',
  daemon: { version: '20.10.24', addressPools: ['198.18.192.0/18'], bridgeSubnets: ['198.18.128.0/24'] },
  imageProblems: [],
  mmdebstrap: '/usr/bin/mmdebstrap',
  subordinate: { uids: [], gids: [] },
};

const byId = (o: DockerObservations) => Object.fromEntries(dockerChecks(o).checks.map((c) => [c.id, c]));

describe("lab doctor's docker section", () => {
  it('on a machine set up by scripts/dockerd.sh: the daemon, its ranges inside 198.18.0.0/15, current images', () => {
    const section = dockerChecks(healthy);
    expect(section.ok).toBe(true);
    expect(section.checks.map((c) => [c.id, c.status])).toEqual([
      ['docker command', 'ok'],
      ['daemon', 'ok'],
      ['address ranges', 'ok'],
      ['lab images', 'ok'],
      ['mmdebstrap', 'ok'],
    ]);
    const text = formatDockerSection(section, false);
    expect(text).toMatch(/^daemon\s+ok\s+answers \(Docker 20\.10\.24\)$/m);
    expect(text).toContain('default address pools 198.18.192.0/18; default bridge 198.18.128.0/24: inside 198.18.0.0/15');
    expect(text).toContain('the docker driver has what it needs');
  });

  it('shows a daemon whose own ranges lie elsewhere, as a note that the lab still keeps to its range', () => {
    const section = dockerChecks({
      ...healthy,
      daemon: { version: '27.1.0', addressPools: [], bridgeSubnets: ['100.64.0.0/16'] },
    });
    expect(section.ok).toBe(true);
    const ranges = section.checks.find((c) => c.id === 'address ranges')!;
    expect(ranges.status).toBe('note');
    expect(ranges.found).toBe(
      "default address pools Docker's built-in private ranges; default bridge 100.64.0.0/16: not inside 198.18.0.0/15",
    );
    expect(ranges.fix).toContain('lab networks always get explicit subnets inside 198.18.0.0/15');
    const pools = byId({
      ...healthy,
      daemon: { version: '27.1.0', addressPools: ['203.0.113.0/24'], bridgeSubnets: ['198.18.128.0/24'] },
    });
    expect(pools['address ranges']?.found).toContain('203.0.113.0/24 not inside 198.18.0.0/15');
  });

  it('with no daemon: says why and how to start one by hand, and asks nothing about images', () => {
    const checks = byId({
      ...healthy,
      daemon: {
        error: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
        addressPools: [],
        bridgeSubnets: [],
      },
      imageProblems: undefined,
    });
    expect(checks.daemon).toMatchObject({
      status: 'missing',
      found: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
    });
    expect(checks.daemon?.fix).toContain('sudo bash scripts/dockerd.sh');
    expect(checks['address ranges']).toBeUndefined();
    expect(checks['lab images']).toMatchObject({ status: 'note', found: 'not looked at: no daemon answers' });
  });

  it('a user outside the docker group is told to join it', () => {
    const checks = byId({
      ...healthy,
      isRoot: false,
      daemon: {
        error: 'permission denied while trying to connect to the Docker daemon socket',
        addressPools: [],
        bridgeSubnets: [],
      },
    });
    expect(checks.daemon?.fix).toContain('sudo usermod -aG docker "$USER"');
  });

  it('images not built are a note with the command that builds them, not a failure', () => {
    const section = dockerChecks({
      ...healthy,
      imageProblems: ['multiclaw-lab/base:0123456789ab is not built; pnpm lab images builds it'],
    });
    expect(section.ok).toBe(true);
    expect(section.checks.find((c) => c.id === 'lab images')).toMatchObject({
      status: 'note',
      found: 'multiclaw-lab/base:0123456789ab is not built; pnpm lab images builds it',
    });
  });

  it('not root, images to build: mmdebstrap also needs uidmap and subordinate id ranges, each with its fix', () => {
    const user = {
      ...healthy,
      isRoot: false,
      mmdebstrap: undefined,
      imageProblems: ['multiclaw-lab/base:0123456789ab is not built; pnpm lab images builds it'],
    };
    const missing = byId(user);
    expect(missing.mmdebstrap).toMatchObject({ status: 'missing' });
    expect(missing.mmdebstrap?.fix).toContain('sudo pnpm lab doctor --install');
    expect(missing.uidmap).toMatchObject({ status: 'missing', fix: 'sudo apt-get install -y --no-install-recommends uidmap' });
    expect(missing['subuid/subgid']).toMatchObject({
      status: 'missing',
      found: 'no range of subordinate uids (/etc/subuid) for this user',
    });
    expect(dockerChecks(user).ok).toBe(false);
    const ready = byId({
      ...user,
      mmdebstrap: '/usr/bin/mmdebstrap',
      newuidmap: '/usr/bin/newuidmap',
      subordinate: { uids: ['ann:100000:65536'], gids: ['ann:100000:65536'] },
    });
    expect(ready.uidmap?.status).toBe('ok');
    expect(ready['subuid/subgid']).toMatchObject({ status: 'ok', found: 'ann:100000:65536 / ann:100000:65536' });
    // root needs neither
    expect(byId(healthy).uidmap).toBeUndefined();
  });

  it('with the images built and current, what builds them is a note, not a failure', () => {
    const section = dockerChecks({ ...healthy, isRoot: false, mmdebstrap: undefined });
    expect(section.ok).toBe(true);
    const checks = Object.fromEntries(section.checks.map((c) => [c.id, c]));
    expect(checks.mmdebstrap).toMatchObject({ status: 'note' });
    expect(checks.mmdebstrap?.found).toContain('(needed again only to rebuild the images)');
    expect(checks['subuid/subgid']?.status).toBe('note');
  });

  it('says whether a failure matters: only where docker is the driver this machine picks', () => {
    const broken = dockerChecks({ ...healthy, dockerCommand: undefined });
    expect(broken.ok).toBe(false);
    expect(formatDockerSection(broken, false)).toContain('the docker driver cannot run yet (the netns driver does not need it)');
    expect(formatDockerSection(broken, true)).toMatch(/the docker driver cannot run yet\n$/);
    expect(formatDockerSection(broken, true)).toContain('the driver this machine picks');
  });

  it('asks the daemon about images only when it answers', async () => {
    let asked = 0;
    const access = (version?: string): DockerAccess => ({
      daemonVersion: async () => version,
      daemonFacts: async () =>
        version ? { version, addressPools: [], bridgeSubnets: [] } : { error: 'no', addressPools: [], bridgeSubnets: [] },
      imageProblems: async () => {
        asked++;
        return [];
      },
      subordinateRanges: async () => ({ uids: [], gids: [] }),
      labContainers: async () => [],
      teardown: async () => {
        throw new Error('not here');
      },
    });
    const probe = fakeProbe({ commands: ['docker'] });
    expect((await observeDocker(probe, access(undefined))).imageProblems).toBeUndefined();
    expect(asked).toBe(0);
    expect((await observeDocker(probe, access('27.1.0'))).imageProblems).toEqual([]);
    expect(asked).toBe(1);
  });
});

describe('198.18.0.0/15, the only range', () => {
  it.each([
    ['198.18.0.0/15', true],
    ['198.19.255.0/24', true],
    ['198.18.192.0/18', true],
    ['198.16.0.0/14', false],
    ['198.18.0.0/14', false],
    ['198.18.0.0/8', false],
    ['198.20.0.0/16', false],
    ['100.64.0.0/16', false],
    ['fd00::/64', false],
  ])('%s inside: %s', (cidr, inside) => {
    expect(insideLabRange(cidr)).toBe(inside);
  });
});

describe('the tool catalogue and the docker driver', () => {
  it('lists mmdebstrap and uidmap, which only docker labs need', () => {
    const docker = TOOLS.filter((t) => t.driver === 'docker').map((t) => [t.id, t.install]);
    expect(docker).toEqual([
      ['mmdebstrap', { kind: 'apt', packages: ['mmdebstrap'] }],
      ['uidmap', { kind: 'apt', packages: ['uidmap'] }],
    ]);
    expect(toolsFor('netns').map((t) => t.id)).not.toContain('mmdebstrap');
    expect(toolsFor('docker').map((t) => t.id)).toEqual(expect.arrayContaining(['mmdebstrap', 'uidmap', 'toxiproxy']));
  });
});
