import { describe, expect, it } from 'vitest';
import {
  BASE_PACKAGES,
  baseInputsHash,
  CUSTOMIZE_HOOK,
  DEBIAN_SUITE,
  DEFAULT_MIRROR,
  ESSENTIAL_HOOK,
  hostDockerfile,
  hostInputsHash,
  mmdebstrapArgs,
  parseMirror,
} from './images/recipe.ts';
import { formatImagesTable } from './images/table.ts';

const baseInputs = () => ({ suite: DEBIAN_SUITE, packages: [...BASE_PACKAGES], hooks: [ESSENTIAL_HOOK, CUSTOMIZE_HOOK] });
const hostInputs = { baseTag: 'multiclaw-lab/base:0123456789ab', nodeSha256: 'a'.repeat(64), toxiproxySha256: 'b'.repeat(64) };

describe('the lab images are named by what goes into them', () => {
  it('gives the base the same hash for the same inputs, whichever mirror builds it', () => {
    expect(baseInputsHash()).toBe(baseInputsHash(baseInputs()));
    expect(baseInputsHash()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the base a new hash when the suite, a package or a hook changes', () => {
    const hashes = [
      baseInputsHash(),
      baseInputsHash({ ...baseInputs(), suite: 'trixie' }),
      baseInputsHash({ ...baseInputs(), packages: [...BASE_PACKAGES, 'strace'] }),
      baseInputsHash({ ...baseInputs(), packages: BASE_PACKAGES.filter((p) => p !== 'squid') }),
      baseInputsHash({ ...baseInputs(), hooks: [ESSENTIAL_HOOK, `${CUSTOMIZE_HOOK} /tmp/*`] }),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('gives the host the same hash for the same inputs and a new one when any of them changes', () => {
    expect(hostInputsHash(hostInputs)).toBe(hostInputsHash({ ...hostInputs }));
    const hashes = [
      hostInputsHash(hostInputs),
      hostInputsHash({ ...hostInputs, baseTag: 'multiclaw-lab/base:ba9876543210' }),
      hostInputsHash({ ...hostInputs, nodeSha256: 'c'.repeat(64) }),
      hostInputsHash({ ...hostInputs, toxiproxySha256: 'c'.repeat(64) }),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('the base image', () => {
  it('holds every program a lab host runs', () => {
    expect([...BASE_PACKAGES].sort()).toEqual(
      [
        'ca-certificates',
        'coturn',
        'curl',
        'haproxy',
        'iproute2',
        'libengine-gost-openssl',
        'libfaketime',
        'minisign',
        'mitmproxy',
        'netbase',
        'nftables',
        'nmap',
        'openssl',
        'postgresql',
        'procps',
        'python3',
        'socat',
        'squid',
        'tcpdump',
        'testssl.sh',
        'util-linux',
      ].sort(),
    );
  });

  it('is a minimal bookworm without recommends, built unprivileged when not root', () => {
    const args = mmdebstrapArgs({ root: false, mirror: 'http://mirror.example/debian', tarPath: '/tmp/x/base.tar' });
    expect(args).toEqual(
      expect.arrayContaining([
        '--mode=unshare',
        '--variant=minbase',
        '--format=tar',
        '--aptopt=APT::Install-Recommends "false"',
        `--include=${BASE_PACKAGES.join(',')}`,
      ]),
    );
    expect(args.slice(-3)).toEqual(['bookworm', '/tmp/x/base.tar', 'http://mirror.example/debian']);
    expect(mmdebstrapArgs({ root: true, mirror: DEFAULT_MIRROR, tarPath: '/t' })).toContain('--mode=root');
  });

  it('makes no default PostgreSQL cluster and keeps no apt lists or caches', () => {
    const args = mmdebstrapArgs({ root: true, mirror: DEFAULT_MIRROR, tarPath: '/t' });
    expect(args).toContain(`--essential-hook=${ESSENTIAL_HOOK}`);
    expect(ESSENTIAL_HOOK).toContain('create_main_cluster = false');
    expect(ESSENTIAL_HOOK).toContain('"$1/etc/postgresql-common/createcluster.d/lab.conf"');
    expect(args).toContain(`--customize-hook=${CUSTOMIZE_HOOK}`);
    expect(CUSTOMIZE_HOOK).toBe('rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*');
  });
});

describe('the host image', () => {
  it('is built FROM the base by COPY alone, labelled a lab host image with its inputs', () => {
    const text = hostDockerfile('multiclaw-lab/base:0123456789ab');
    expect(text.split('\n')).toEqual([
      'FROM multiclaw-lab/base:0123456789ab',
      'COPY node /usr/local/bin/node',
      'COPY toxiproxy-server /usr/local/bin/toxiproxy-server',
      'ARG LAB_INPUTS',
      'LABEL multiclaw-lab.image=host multiclaw-lab.inputs=$LAB_INPUTS',
      '',
    ]);
    expect(text).not.toMatch(/^RUN/m);
  });
});

describe("the mirror is the machine's own", () => {
  it('takes the first URIs of a deb822 sources file, the first of several on the line', () => {
    const deb822 = [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://mirror.local/debian http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      '',
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
    ].join('\n');
    expect(parseMirror({ deb822, list: 'deb http://other/debian bookworm main' })).toBe('http://mirror.local/debian');
  });

  it('falls back to the first deb line of sources.list, options and comments skipped', () => {
    const list = [
      '# deb http://commented/debian bookworm main',
      'deb-src http://src/debian bookworm main',
      'deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://list.local/debian bookworm main',
      'deb http://second/debian bookworm main',
    ].join('\n');
    expect(parseMirror({ deb822: '', list })).toBe('http://list.local/debian');
  });

  it("uses Debian's own mirror when the machine names none", () => {
    expect(parseMirror({})).toBe(DEFAULT_MIRROR);
    expect(parseMirror({ deb822: 'Types: deb\n', list: '# nothing\n' })).toBe(DEFAULT_MIRROR);
  });
});

describe('pnpm lab images', () => {
  it('reports each image: tag, built or cached, seconds and size in MB', () => {
    const table = formatImagesTable({
      base: { name: 'multiclaw-lab/base:0123456789ab', built: true, seconds: 65.24, sizeBytes: 613_000_000 },
      host: { name: 'multiclaw-lab/host:ba9876543210', built: false, seconds: 0.04, sizeBytes: 750_400_000 },
    });
    expect(table.split('\n')).toEqual([
      'image               tag           result  seconds  size (MB)',
      'multiclaw-lab/base  0123456789ab  built   65.2     613',
      'multiclaw-lab/host  ba9876543210  cached  0.0      750',
      '',
    ]);
  });
});
