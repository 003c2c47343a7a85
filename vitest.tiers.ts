/**
 * Which test tier each test file belongs to (vitest.config.ts makes one vitest project of each).
 * The rule, by what a test really does rather than where it lives:
 *
 *   unit        in-process only: no child process, no socket of any kind (TCP, UDP, unix,
 *               loopback included), no root, no tool; temp files are fine. Enforced by
 *               lab/kit/src/testing/unit-guard.ts, which makes every way out throw.
 *   components  real processes (our components, PostgreSQL, coturn, squid, openssl, Chromium…)
 *               and sockets on loopback; no network namespaces.
 *   lab         network namespaces or anything else that needs root (ip netns, nft, setuid).
 *   suite       the scenario suite on a fresh netns lab.
 *   docker      labs made of containers (a Docker daemon, no root). Docker refuses two networks
 *               with the same subnet and every lab uses the same address plan, so these files
 *               run one at a time.
 *
 * Existing files are listed here; a new file can instead say its tier in its name:
 * `x.unit.test.ts` or `x.lab.test.ts`. Anything else is a components test. A unit test
 * (lab/core/test/test-tiers.unit.test.ts) checks that every file lands in exactly one tier and that
 * every file named below exists.
 */

/** Where test files live (the whole-workspace run, `pnpm test`, takes all of them). */
export const TEST_FILES = [
  'lab/*/src/**/*.test.ts',
  'lab/*/test/**/*.test.ts',
  'scenarios/src/**/*.test.ts',
  'scenarios/test/**/*.test.ts',
  'deploy/src/**/*.test.ts',
];

const named = (tier: string) => TEST_FILES.map((glob) => glob.replace('*.test.ts', `*.${tier}.test.ts`));

export const UNIT_TESTS = [
  'lab/cloud/src/crypto/crypto.test.ts',
  'lab/cli/src/args.test.ts',
  'lab/cli/src/tools/doctor.test.ts',
  'lab/cli/src/tools/install.test.ts',
  'lab/desktop-sim/src/local-storage.test.ts',
  'lab/gateway/src/synthetic-jpeg.test.ts',
  'lab/infra/src/coturn/config.test.ts',
  'lab/kit/src/backoff.test.ts',
  'lab/kit/src/error-codes.test.ts',
  'lab/kit/src/logger.test.ts',
  'lab/network/src/rules.test.ts',
  'lab/protocol/src/errors.test.ts',
  'lab/protocol/src/realtime.test.ts',
  'lab/protocol/src/screen.test.ts',
  'lab/protocol/src/sealed.test.ts',
  'scenarios/src/canary.test.ts',
  'scenarios/src/claims.test.ts',
  'scenarios/src/report/junit.test.ts',
  'scenarios/src/report/write-report.test.ts',
  'scenarios/src/runner.test.ts',
  ...named('unit'),
];

export const LAB_TESTS = [
  'lab/core/test/browser-viewer.test.ts',
  'lab/core/test/lab-*.test.ts',
  'lab/cli/test/lab-cli.test.ts',
  'lab/infra/src/capture/pcap.test.ts',
  'lab/network/src/netns-driver*.test.ts',
  'lab/network/src/preflight.test.ts',
  'lab/network/src/teardown.test.ts',
  ...named('lab'),
];

export const DOCKER_TESTS = named('docker');

export const SUITE_TESTS = ['scenarios/test/**/*.test.ts'];

export type TierName = 'unit' | 'components' | 'lab' | 'suite' | 'docker';

/** A tier's files: `include` minus `exclude` (components is whatever no other tier takes). */
export const TIERS: Record<TierName, { include: string[]; exclude: string[] }> = {
  unit: { include: UNIT_TESTS, exclude: [] },
  components: { include: TEST_FILES, exclude: [...UNIT_TESTS, ...LAB_TESTS, ...SUITE_TESTS, ...DOCKER_TESTS] },
  lab: { include: LAB_TESTS, exclude: [] },
  suite: { include: SUITE_TESTS, exclude: [...DOCKER_TESTS] },
  docker: { include: DOCKER_TESTS, exclude: [] },
};
