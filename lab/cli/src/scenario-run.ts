/**
 * `lab run` inside whoever owns the lab (labd, or the CLI with a lab of its own): the scenario
 * suite from the scenarios package, loaded when a run starts so the other commands stay quick.
 */
import { join } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import type { RunSummary } from '@multiclaw-lab/scenarios/summary';
import type { Lab } from './lab-api.ts';
import type { RunRequest } from './labd-api.ts';
import { REPO_ROOT } from './state.ts';

export async function runScenariosOn(lab: Lab, request: RunRequest, onProgress: (text: string) => void): Promise<RunSummary> {
  const [{ runSuite }, core] = await Promise.all([import('@multiclaw-lab/scenarios'), import('@multiclaw-lab/core')]);
  if (!(lab instanceof core.Lab))
    throw new LabError('LAB_UNSUPPORTED', 'scenarios run only on a lab the harness started', {
      hint: 'bring one up with pnpm lab up, or let pnpm lab run start one',
    });
  const { summary } = await runSuite(lab, {
    ...(request.ids.length ? { ids: request.ids } : {}),
    ...(request.tags.length ? { tags: request.tags } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    ...(request.shard === undefined ? {} : { shard: request.shard }),
    ...(request.checkers === undefined ? {} : { checkers: request.checkers }),
    ...(request.scenarios === false ? { scenarios: false as const } : {}),
    // LAB_REPORTS_DIR (sent by the CLI): somewhere else than the repository's reports/ (the CLI's
    // own tests use it, so a test run does not replace reports/latest with a one-scenario report)
    reportsDir: request.reportsDir ?? join(REPO_ROOT, 'reports'),
    onProgress,
  });
  return summary;
}
