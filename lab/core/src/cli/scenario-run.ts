import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunRequest } from './labd-api.ts';
import { REPO_ROOT } from './state.ts';

/**
 * The scenario suite lives in the repository's `scenarios/` package, which depends on this one;
 * the command line loads it at run time rather than importing it (no dependency cycle).
 */
export interface SuiteSummary {
  runDir: string;
  passed: number;
  failed: number;
  skipped: number;
  canaryHits: number;
  seed: number;
  claims: { verified: number; failed: number; untested: number; untestable: number };
  failures: Array<{ id: string; message: string }>;
}

interface ScenariosModule {
  runSuite(
    lab: unknown,
    options: { ids?: string[]; tags?: string[]; seed?: number; reportsDir: string; onProgress?: (text: string) => void },
  ): Promise<{
    runDir: string;
    passed: number;
    failed: number;
    skipped: number;
    canaryHits: number;
    results: {
      seed: number;
      claims: Array<{ status: string }>;
      scenarios: Array<{ id: string; status: string; error?: { message: string } }>;
    };
  }>;
}

export async function runScenariosOn(
  lab: unknown,
  request: RunRequest,
  onProgress: (text: string) => void,
): Promise<SuiteSummary> {
  const mod = (await import(pathToFileURL(join(REPO_ROOT, 'scenarios', 'src', 'index.ts')).href)) as ScenariosModule;
  const outcome = await mod.runSuite(lab, {
    ...(request.ids.length ? { ids: request.ids } : {}),
    ...(request.tags.length ? { tags: request.tags } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    // LAB_REPORTS_DIR (sent by the CLI): somewhere else than the repository's reports/ (the CLI's
    // own tests use it, so a test run does not replace reports/latest with a one-scenario report)
    reportsDir: request.reportsDir ?? join(REPO_ROOT, 'reports'),
    onProgress,
  });
  const claims = outcome.results.claims;
  const count = (status: string) => claims.filter((c) => c.status === status).length;
  return {
    runDir: outcome.runDir,
    passed: outcome.passed,
    failed: outcome.failed,
    skipped: outcome.skipped,
    canaryHits: outcome.canaryHits,
    seed: outcome.results.seed,
    claims: {
      verified: count('verified'),
      failed: count('failed'),
      untested: count('untested'),
      untestable: count('untestable'),
    },
    failures: outcome.results.scenarios
      .filter((s) => s.status === 'failed')
      .map((s) => ({ id: s.id, message: s.error?.message ?? 'failed' })),
  };
}
