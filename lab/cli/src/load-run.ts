/**
 * `lab load` inside whoever owns the lab (labd): the load package, loaded when a run starts so
 * the other commands stay quick.
 */
import { join } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import type { Lab } from './lab-api.ts';
import type { LoadRequest, LoadSummary } from './labd-api.ts';
import { REPO_ROOT } from './state.ts';

export async function runLoadOn(lab: Lab, request: LoadRequest, onProgress: (text: string) => void): Promise<LoadSummary> {
  const [load, core] = await Promise.all([import('@multiclaw-lab/load'), import('@multiclaw-lab/core')]);
  if (!(lab instanceof core.Lab))
    throw new LabError('LAB_UNSUPPORTED', 'load runs only on a lab the harness started', {
      hint: 'bring one up with pnpm lab up',
    });
  if (!load.isProfileName(request.profile))
    throw new load.LoadOptionError(
      `no load profile ${JSON.stringify(request.profile)}; profiles: ${load.PROFILE_NAMES.join(', ')}`,
    );
  if (request.fault !== undefined && !load.isStormFault(request.fault))
    throw new load.LoadOptionError(`no storm fault ${JSON.stringify(request.fault)}; faults: ${load.STORM_FAULTS.join(', ')}`);
  const { results, runDir } = await load.runLoad(lab, {
    profile: request.profile,
    ...(request.clients === undefined ? {} : { clients: request.clients }),
    ...(request.durationS === undefined ? {} : { durationS: request.durationS }),
    ...(request.fault === undefined ? {} : { fault: request.fault }),
    ...(request.tlsResumption === undefined ? {} : { tlsResumption: request.tlsResumption }),
    thresholds: request.thresholds,
    reportsDir: request.reportsDir ?? join(REPO_ROOT, 'reports'),
    onProgress,
  });
  return {
    profile: results.profile,
    clients: results.options.clients,
    passed: results.passed,
    runDir,
    thresholds: results.thresholds,
  };
}
