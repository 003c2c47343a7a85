/**
 * Everything the lab and its tests need from the machine, in ONE list: `lab doctor` checks it,
 * `lab doctor --install` and `lab up` install from it, and scripts/bootstrap.sh calls the doctor
 * instead of keeping its own list. Add a tool here and every one of them knows about it.
 */

/** Where the lab puts what it builds itself (Go tools, a Go toolchain when Debian's is too old). */
export const LAB_OPT_DIR = '/opt/multiclaw-lab';
export const LAB_BIN_DIR = `${LAB_OPT_DIR}/bin`;
export const TOXIPROXY_SERVER = `${LAB_BIN_DIR}/toxiproxy-server`;
export const ACTIONLINT = `${LAB_BIN_DIR}/actionlint`;

/**
 * Go that can build our Go tools. Debian 12's golang-go is 1.19, which refuses a go.mod that
 * says a newer Go ("invalid go version '1.23.0'" for toxiproxy v2.12.0, checked), and
 * actionlint v1.7.12's go.mod says `go 1.25.0`; the installer builds with GOTOOLCHAIN=local, so
 * it never switches Go by itself. So it uses Debian's Go only to fetch the Go team's own toolchain
 * module (golang.org/toolchain, the one `GOTOOLCHAIN` switching downloads) through the Go module
 * proxy, into LAB_GO_ROOT.
 */
export const GO_MIN_VERSION = '1.25';
export const GO_TOOLCHAIN_VERSION = '1.25.14';
export const LAB_GO_ROOT = `${LAB_OPT_DIR}/go`;

export type ToolCheck =
  /** every command must be found (on PATH or in the usual system folders) */
  | { kind: 'commands'; names: string[] }
  /** some file must match one of the glob patterns */
  | { kind: 'file'; patterns: string[] }
  /** the Node running the CLI */
  | { kind: 'node'; minMajor: number }
  /** a `go` binary at least this version */
  | { kind: 'go'; minVersion: string };

export type ToolInstall =
  | { kind: 'apt'; packages: string[] }
  /** Debian's golang-go, then the Go toolchain module when Debian's Go is too old */
  | { kind: 'go-toolchain'; aptPackage: string; version: string }
  /** `go install MODULE/PATH@VERSION`, the resulting binary renamed into place */
  | { kind: 'go-install'; packagePath: string; version: string; builds: string; installAs: string }
  /** nothing we can do from here: a person runs this */
  | { kind: 'manual'; instructions: string };

export interface Tool {
  id: string;
  /** what the lab uses it for, shown by the doctor */
  purpose: string;
  check: ToolCheck;
  install: ToolInstall;
  /** tools that must be present before this one can be installed */
  needs?: string[];
  /** only labs of this driver need it (`lab up` with another driver does not install it); default: every lab */
  driver?: 'netns' | 'docker';
}

const apt = (...packages: string[]): ToolInstall => ({ kind: 'apt', packages });

export const TOOLS: readonly Tool[] = [
  {
    id: 'node',
    purpose: 'runs the lab (TypeScript run directly, Node 24 or newer)',
    check: { kind: 'node', minMajor: 24 },
    install: { kind: 'manual', instructions: 'bash scripts/bootstrap.sh   (installs Node 24 from the npm registry)' },
  },
  {
    id: 'iproute2',
    purpose: 'network namespaces, veth pairs, bridges (ip)',
    check: { kind: 'commands', names: ['ip'] },
    install: apt('iproute2'),
  },
  {
    id: 'nftables',
    purpose: 'router NAT, firewall faults, traffic steering (nft)',
    check: { kind: 'commands', names: ['nft'] },
    install: apt('nftables'),
  },
  {
    id: 'util-linux',
    purpose: 'runuser, setsid, nsenter, prlimit (raises the open-file limit of long-lived services)',
    check: { kind: 'commands', names: ['runuser', 'setsid', 'nsenter', 'prlimit'] },
    install: apt('util-linux'),
  },
  {
    id: 'procps',
    purpose: 'process inspection (ps, pkill by pid lists)',
    check: { kind: 'commands', names: ['ps'] },
    install: apt('procps'),
  },
  {
    id: 'postgresql',
    purpose: "the cloud's database (a throwaway cluster per lab)",
    check: { kind: 'file', patterns: ['/usr/lib/postgresql/*/bin/initdb'] },
    install: apt('postgresql'),
  },
  {
    id: 'coturn',
    purpose: 'the TURN relay (turnserver) and its test client',
    check: { kind: 'commands', names: ['turnserver', 'turnutils_uclient'] },
    install: apt('coturn'),
  },
  {
    id: 'mitmproxy',
    purpose: 'the DPI box (mitmdump, transparent, re-signing)',
    check: { kind: 'commands', names: ['mitmdump'] },
    install: apt('mitmproxy'),
  },
  { id: 'squid', purpose: 'the corporate HTTP proxy', check: { kind: 'commands', names: ['squid'] }, install: apt('squid') },
  {
    id: 'haproxy',
    purpose: "the cloud's load balancer when lab up runs several cloud instances (--cloud-instances; TCP, TLS passed through)",
    check: { kind: 'commands', names: ['haproxy'] },
    install: apt('haproxy'),
  },
  {
    id: 'tshark',
    purpose: 'packet captures and their decoding',
    check: { kind: 'commands', names: ['tshark'] },
    install: apt('tshark'),
  },
  {
    id: 'tcpdump',
    purpose: 'packet captures on host interfaces',
    check: { kind: 'commands', names: ['tcpdump'] },
    install: apt('tcpdump'),
  },
  {
    id: 'libfaketime',
    purpose: 'per-host clock offsets',
    check: { kind: 'file', patterns: ['/usr/lib/*/faketime/libfaketime.so.1', '/usr/local/lib/*/faketime/libfaketime.so.1'] },
    install: apt('libfaketime'),
  },
  {
    id: 'minisign',
    purpose: 'signing and checking update files',
    check: { kind: 'commands', names: ['minisign'] },
    install: apt('minisign'),
  },
  {
    id: 'openssl',
    purpose: 'TLS policy probes (s_client)',
    check: { kind: 'commands', names: ['openssl'] },
    install: apt('openssl'),
  },
  {
    id: 'socat',
    purpose: 'unix-socket bridges to control APIs inside hosts',
    check: { kind: 'commands', names: ['socat'] },
    install: apt('socat'),
  },
  {
    id: 'chromium',
    purpose: 'headless browser: opens the HTML report as a person would, and is the browser viewer of cloud desktops (WebRTC)',
    check: { kind: 'commands', names: ['chromium'] },
    install: apt('chromium'),
  },
  {
    id: 'nss-tools',
    purpose: "certutil: puts the lab CA into the browser viewer's NSS database, so Chromium verifies the cloud and coturn",
    check: { kind: 'commands', names: ['certutil'] },
    install: apt('libnss3-tools'),
  },
  {
    id: 'testssl',
    purpose: "the testssl checker: rates every TLS endpoint of the lab's internet (testssl.sh 3.0)",
    check: { kind: 'commands', names: ['testssl'] },
    install: apt('testssl.sh'),
  },
  {
    id: 'gost-engine',
    purpose:
      "OpenSSL's GOST engine: without it testssl.sh warns on every endpoint (engine_problem), and the testssl checker fails",
    check: { kind: 'file', patterns: ['/usr/lib/*/engines-3/gost.so'] },
    install: apt('libengine-gost-openssl'),
  },
  {
    id: 'nmap',
    purpose: 'the nmap checker: scans every lab host from a neighbour and from the internet',
    check: { kind: 'commands', names: ['nmap'] },
    install: apt('nmap'),
  },
  {
    id: 'python3-venv',
    purpose: 'the venv scripts/bootstrap.sh installs schemathesis into (the schemathesis checker)',
    check: { kind: 'file', patterns: ['/usr/lib/python3*/venv/__init__.py'] },
    install: apt('python3-venv'),
  },
  {
    id: 'mmdebstrap',
    purpose: "builds the docker driver's base image (Debian bookworm) without pulling from a registry",
    check: { kind: 'commands', names: ['mmdebstrap'] },
    install: apt('mmdebstrap'),
    driver: 'docker',
  },
  {
    id: 'uidmap',
    purpose: 'newuidmap/newgidmap: mmdebstrap run by a user (not root) builds in a user namespace with them',
    check: { kind: 'commands', names: ['newuidmap', 'newgidmap'] },
    install: apt('uidmap'),
    driver: 'docker',
  },
  {
    id: 'go',
    purpose: `builds toxiproxy and actionlint (Go ${GO_MIN_VERSION} or newer)`,
    check: { kind: 'go', minVersion: GO_MIN_VERSION },
    install: { kind: 'go-toolchain', aptPackage: 'golang-go', version: GO_TOOLCHAIN_VERSION },
  },
  {
    id: 'toxiproxy',
    purpose: 'TCP link faults on every site link (toxiproxy-server v2.12.0)',
    check: { kind: 'file', patterns: [TOXIPROXY_SERVER] },
    install: {
      kind: 'go-install',
      packagePath: 'github.com/Shopify/toxiproxy/v2/cmd/server',
      version: 'v2.12.0',
      builds: 'server',
      installAs: TOXIPROXY_SERVER,
    },
    needs: ['go'],
  },
  {
    id: 'actionlint',
    purpose: 'checks the GitHub Actions workflows (.github/workflows) in the unit tests (actionlint v1.7.12)',
    check: { kind: 'file', patterns: [ACTIONLINT] },
    install: {
      kind: 'go-install',
      packagePath: 'github.com/rhysd/actionlint/cmd/actionlint',
      version: 'v1.7.12',
      builds: 'actionlint',
      installAs: ACTIONLINT,
    },
    needs: ['go'],
  },
];

/** The tools a lab of this driver needs (`lab up` checks and installs only these). */
export function toolsFor(driver: 'netns' | 'docker'): readonly Tool[] {
  return TOOLS.filter((t) => t.driver === undefined || t.driver === driver);
}
