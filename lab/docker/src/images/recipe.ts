/**
 * What the lab's two images are made of, as plain data and pure functions: the package list,
 * the mmdebstrap command, the host Dockerfile and the hashes that name the images. An image's
 * tag is the first 12 hex digits of the hash over everything that shapes it, so a changed input
 * gives a new tag (and a rebuild) and an unchanged one finds the image already there.
 */
import { createHash } from 'node:crypto';

/** Bump when the build itself changes in a way its other inputs do not show. */
export const IMAGE_BUILDER_VERSION = '1';

export const BASE_REPOSITORY = 'multiclaw-lab/base';
export const HOST_REPOSITORY = 'multiclaw-lab/host';

/** The label every lab image carries (its value: base or host) and the one holding its inputs hash. */
export const IMAGE_LABEL = 'multiclaw-lab.image';
export const INPUTS_LABEL = 'multiclaw-lab.inputs';

export const DEBIAN_SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * Everything a lab host runs, installed into the base image: the network tools (ip, nft, ss,
 * tcpdump), the services (PostgreSQL, coturn, mitmproxy, squid, HAProxy), what the scenarios and
 * checkers call (libfaketime, minisign, openssl, socat, testssl.sh, nmap, curl) and python3 for
 * mitmproxy's addons. Node and toxiproxy-server are copied into the host image instead (Debian's are too old
 * or absent).
 */
export const BASE_PACKAGES = [
  'iproute2',
  'nftables',
  'procps',
  'util-linux',
  'postgresql',
  'coturn',
  'mitmproxy',
  'squid',
  // the cloud's load balancer with several cloud instances (lab up --cloud-instances)
  'haproxy',
  'tcpdump',
  'libfaketime',
  'minisign',
  'openssl',
  'socat',
  'testssl.sh',
  // testssl.sh's recommendation: without it every scan warns that openssl has no GOST engine
  'libengine-gost-openssl',
  'nmap',
  'curl',
  'ca-certificates',
  'python3',
  'netbase',
] as const;

/**
 * Runs after the essential packages, before the rest: postgresql-common reads this when its
 * package is configured, so no default cluster is made (the lab makes its own, per service).
 */
export const ESSENTIAL_HOOK =
  'mkdir -p "$1/etc/postgresql-common/createcluster.d" && ' +
  'echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/lab.conf"';

/** Nothing in the image installs packages later (it cannot reach a mirror), so apt's lists and caches go. */
export const CUSTOMIZE_HOOK = 'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*';

/** The image's PATH; `docker import` sets no environment at all. */
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The first 12 hex digits of a hash: the image tag. */
export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

/** The mirror is left out on purpose: any mirror gives the same packages. */
export function baseInputsHash(
  inputs: { suite: string; packages: readonly string[]; hooks: readonly string[] } = {
    suite: DEBIAN_SUITE,
    packages: BASE_PACKAGES,
    hooks: [ESSENTIAL_HOOK, CUSTOMIZE_HOOK],
  },
): string {
  return sha256(JSON.stringify({ builder: IMAGE_BUILDER_VERSION, ...inputs }));
}

/** mmdebstrap's arguments: a minimal bookworm with the lab's packages, as a tar written to `tarPath`. */
export function mmdebstrapArgs(options: { root: boolean; mirror: string; tarPath: string }): string[] {
  return [
    `--mode=${options.root ? 'root' : 'unshare'}`,
    '--variant=minbase',
    '--format=tar',
    '--aptopt=APT::Install-Recommends "false"',
    `--essential-hook=${ESSENTIAL_HOOK}`,
    `--customize-hook=${CUSTOMIZE_HOOK}`,
    `--include=${BASE_PACKAGES.join(',')}`,
    DEBIAN_SUITE,
    options.tarPath,
    options.mirror,
  ];
}

/** `docker import` changes: the PATH, and the labels that mark it a lab image and say what it was built from. */
export function baseImportChanges(inputsHash: string): string[] {
  return [`ENV PATH=${IMAGE_PATH}`, `LABEL ${IMAGE_LABEL}=base ${INPUTS_LABEL}=${inputsHash}`];
}

/** The host image's build argument that carries its inputs hash into its label. */
export const HOST_INPUTS_ARG = 'LAB_INPUTS';

/**
 * COPY only: the daemon runs without iptables, so a RUN step could reach no mirror. The inputs
 * hash comes in as a build argument, so the Dockerfile text does not contain its own hash.
 */
export function hostDockerfile(baseTag: string): string {
  return [
    `FROM ${baseTag}`,
    'COPY node /usr/local/bin/node',
    'COPY toxiproxy-server /usr/local/bin/toxiproxy-server',
    `ARG ${HOST_INPUTS_ARG}`,
    `LABEL ${IMAGE_LABEL}=host ${INPUTS_LABEL}=$${HOST_INPUTS_ARG}`,
    '',
  ].join('\n');
}

export function hostInputsHash(inputs: { baseTag: string; nodeSha256: string; toxiproxySha256: string }): string {
  return sha256(JSON.stringify({ builder: IMAGE_BUILDER_VERSION, ...inputs, dockerfile: hostDockerfile(inputs.baseTag) }));
}

/**
 * The Debian mirror to build from: the first `URIs:` of the machine's deb822 sources, else the
 * first `deb` line of its sources.list, else Debian's own. (A machine behind a local mirror or
 * snapshot keeps using it.)
 */
export function parseMirror(sources: { deb822?: string; list?: string }): string {
  for (const line of (sources.deb822 ?? '').split('\n')) {
    const m = /^URIs:\s*(\S+)/i.exec(line.trim());
    if (m) return m[1]!;
  }
  for (const line of (sources.list ?? '').split('\n')) {
    // deb [arch=amd64 signed-by=…] URI suite components
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line.trim());
    if (m) return m[1]!;
  }
  return DEFAULT_MIRROR;
}
