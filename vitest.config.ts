import { configDefaults, defineConfig } from 'vitest/config';
import { TIERS, type TierName } from './vitest.tiers.ts';

// One run over the whole workspace (`pnpm test`), made of four tiers that also run alone
// (`pnpm test:unit`, `test:components`, `test:lab`, `test:suite`; which file is in which tier:
// vitest.tiers.ts). Component tests start real processes and a real PostgreSQL, so they get
// generous hook timeouts; speed is measured in bench/, not here.
const tier = (name: TierName, test: { setupFiles?: string[]; globalSetup?: string[]; fileParallelism?: boolean } = {}) => ({
  extends: true,
  test: {
    name,
    include: TIERS[name].include,
    exclude: [...configDefaults.exclude, ...TIERS[name].exclude],
    ...test,
  },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'reports/test-results.json' }]],
    projects: [
      // every way out of the process throws in a unit test (lab/kit/src/testing/unit-guard.ts)
      tier('unit', { setupFiles: ['lab/kit/src/testing/unit-guard.ts'] }),
      // the one PostgreSQL cluster for the run; only component tests use it (freshDatabase())
      tier('components', { globalSetup: ['lab/kit/src/testing/global-setup.ts'] }),
      tier('lab'),
      tier('suite'),
      // one docker lab at a time: every lab uses the same subnets, and Docker refuses overlaps
      // the images are built (when missing) before its files start, whatever their hooks' timeouts
      tier('docker', { fileParallelism: false, globalSetup: ['lab/docker/src/testing/global-setup.ts'] }),
    ],
  },
});
