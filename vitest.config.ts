import { defineConfig } from 'vitest/config';

// One run over the whole workspace. Component tests start real processes and a real
// PostgreSQL, so they get generous hook timeouts; speed is measured in bench/, not here.
export default defineConfig({
  test: {
    include: ['lab/*/src/**/*.test.ts', 'lab/*/test/**/*.test.ts', 'scenarios/src/**/*.test.ts', 'scenarios/test/**/*.test.ts'],
    globalSetup: ['lab/kit/src/testing/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'reports/test-results.json' }]],
  },
});
