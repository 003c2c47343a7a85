import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { type CliContext, progressLine } from './context.ts';
import { chooseDriver } from './driver-choice.ts';
import { REPO_ROOT } from './state.ts';
import { awsChecks, formatAwsSection, observeAws } from './tools/aws-doctor.ts';
import { dockerChecks, formatDockerSection, observeDocker } from './tools/docker-doctor.ts';
import { formatDoctorReport, runDoctor } from './tools/doctor.ts';
import { installMissing, NeedsRootError } from './tools/install.ts';

/** Whether this machine's labs are docker labs when nothing says otherwise (then the docker section counts). */
function dockerIsTheDefault(ctx: CliContext): boolean {
  try {
    return chooseDriver({ env: process.env.LAB_DRIVER, isRoot: ctx.isRoot, platform: process.platform }).driver === 'docker';
  } catch {
    return false; // a bad LAB_DRIVER is refused by the commands that make labs
  }
}

/**
 * `lab doctor [--json] [--install]`: exit 0 when everything is there (after installing, with
 * --install). The docker section fails it only where docker is the driver a lab gets by default
 * (LAB_DRIVER=docker, or not root): a netns user with no Docker is not failed for it.
 */
export async function doctor(ctx: CliContext, options: { json: boolean; install: boolean; aws?: boolean }): Promise<number> {
  if (options.install) {
    try {
      const { installed } = await installMissing({ probe: ctx.probe, onProgress: (s) => progressLine(ctx, s.phase, s.detail) });
      progressLine(ctx, 'tools', installed.length ? `installed ${installed.join(', ')}` : 'nothing to install');
    } catch (err) {
      ctx.stderr(`${err instanceof NeedsRootError ? '' : 'install failed: '}${(err as Error).message}\n`);
      // the report below still shows what is there and what is not
    }
  }
  const askAws = options.aws ?? false;
  const [report, dockerSeen, awsSeen] = await Promise.all([
    runDoctor(ctx.probe),
    observeDocker(ctx.probe, ctx.docker),
    observeAws(ctx.probe, ctx.aws, askAws),
  ]);
  const docker = dockerChecks(dockerSeen);
  const aws = awsChecks(awsSeen);
  const needed = dockerIsTheDefault(ctx);
  // the aws section fails the doctor only when asked for (--aws): no machine's default driver is aws
  const ok = report.ok && (docker.ok || !needed) && (aws.ok || !askAws);
  ctx.stdout(
    options.json
      ? `${JSON.stringify({ ...report, ok, docker: { ...docker, needed }, aws: { ...aws, asked: askAws } }, null, 2)}\n`
      : `${formatDoctorReport(report)}\n${formatDockerSection(docker, needed)}\n${formatAwsSection(aws, askAws)}`,
  );
  return ok ? 0 : 1;
}

/** `lab report`: where reports/latest is, if a scenario run wrote one. */
export function report(ctx: CliContext, root = REPO_ROOT): number {
  const latest = join(root, 'reports', 'latest');
  if (!existsSync(latest)) {
    ctx.stdout(`no report yet: scenario runs (pnpm lab run) write ${latest}/\n`);
    return 0;
  }
  const index = join(latest, 'index.html');
  ctx.stdout(`${existsSync(index) ? index : latest}${existsSync(index) ? '' : '/'}  (${realpathSync(latest)})\n`);
  return 0;
}
