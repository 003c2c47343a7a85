/**
 * The doctor's aws section: what `lab deploy` and the aws driver need from this machine. The
 * pulumi CLI (deploy), the AWS CLI and the Session Manager plugin (streaming from instances),
 * and credentials the SDK can resolve. The aws driver is never the one a machine picks, so this
 * section never fails a plain `lab doctor`; only `lab doctor --aws` asks AWS whose credentials
 * these are (STS GetCallerIdentity), since resolving them can wait on an SSO login or the EC2
 * metadata service, and an unreachable AWS is "not configured" there, not a crash.
 */
import type { AwsAccess } from '../aws-access.ts';
import { type DockerCheck, type DockerSection, formatCheckSection } from './docker-doctor.ts';
import type { MachineProbe } from './probe.ts';

const PULUMI_FIX = 'curl -fsSL https://get.pulumi.com | sh   (or see https://www.pulumi.com/docs/install/)';
const AWS_CLI_FIX = 'https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html';
const PLUGIN_FIX =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

export interface AwsObservations {
  pulumi?: { path: string; version?: string };
  awsCli?: string;
  sessionPlugin?: string;
  /** undefined: not asked (no --aws) */
  identity?: { account: string; arn: string } | { error: string };
  region: string;
}

export async function observeAws(
  probe: MachineProbe,
  aws: AwsAccess | undefined,
  askIdentity: boolean,
): Promise<AwsObservations> {
  const region = aws?.region() ?? 'eu-west-1';
  const [pulumi, identity] = await Promise.all([
    aws?.pulumi().catch(() => undefined),
    askIdentity && aws
      ? aws.callerIdentity(region).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }))
      : undefined,
  ]);
  return {
    region,
    ...(pulumi ? { pulumi } : {}),
    ...(probe.which('aws') ? { awsCli: probe.which('aws')! } : {}),
    ...(probe.which('session-manager-plugin') ? { sessionPlugin: probe.which('session-manager-plugin')! } : {}),
    ...(identity ? { identity } : {}),
  };
}

export function awsChecks(o: AwsObservations): DockerSection {
  const checks: DockerCheck[] = [
    o.pulumi
      ? { id: 'pulumi CLI', status: 'ok', found: `${o.pulumi.version ?? 'version unknown'} (${o.pulumi.path})` }
      : { id: 'pulumi CLI', status: 'missing', found: 'not installed: pnpm lab deploy drives it', fix: PULUMI_FIX },
    o.awsCli
      ? { id: 'aws CLI', status: 'ok', found: o.awsCli }
      : { id: 'aws CLI', status: 'missing', found: 'not installed: streaming from instances goes through it', fix: AWS_CLI_FIX },
    o.sessionPlugin
      ? { id: 'session-manager-plugin', status: 'ok', found: o.sessionPlugin }
      : {
          id: 'session-manager-plugin',
          status: 'missing',
          found: 'not installed: aws ssm start-session needs it',
          fix: PLUGIN_FIX,
        },
  ];
  if (o.identity === undefined)
    checks.push({ id: 'credentials', status: 'note', found: 'not checked; pnpm lab doctor --aws asks STS whose they are' });
  else if ('error' in o.identity)
    checks.push({
      id: 'credentials',
      status: 'missing',
      found: `not configured: ${o.identity.error}`,
      fix: 'configure them as for the AWS CLI: aws configure, aws sso login, or AWS_PROFILE; the region with AWS_REGION',
    });
  else
    checks.push({ id: 'credentials', status: 'ok', found: `account ${o.identity.account} as ${o.identity.arn} (${o.region})` });
  return { ok: checks.every((c) => c.status !== 'missing'), checks };
}

export function formatAwsSection(section: DockerSection, asked: boolean): string {
  return formatCheckSection(section, {
    heading: `aws (pnpm lab deploy, pnpm lab up --driver aws; ${asked ? 'asked for with --aws' : 'never the default driver, so it fails nothing'})`,
    first: 'aws',
    verdict: section.ok
      ? 'lab deploy and the aws driver have what they need here'
      : 'lab deploy or the aws driver lack something here',
  });
}
