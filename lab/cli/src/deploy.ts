/**
 * `lab deploy [--stack NAME] [--preview] [--destroy]`: the staging replica on AWS through the
 * Pulumi Automation API. Before anything is built it checks what a deploy needs and says how to
 * get what is missing: the pulumi CLI, and AWS credentials (STS GetCallerIdentity). --destroy
 * removes the stack's resources; an aws lab attached to it here is detached as well.
 */
import { MissingToolError } from '@multiclaw-lab/kit';
import { type CliContext, progressLine } from './context.ts';
import { readState, removeState } from './state.ts';

export interface DeployCommand {
  stack: string;
  preview: boolean;
  destroy: boolean;
}

/** One line for an error from AWS or Pulumi: the lab's own errors carry their hint already. */
export function describeAwsFailure(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function deploy(ctx: CliContext, command: DeployCommand): Promise<number> {
  const aws = ctx.aws;
  if (!aws) throw new Error('this command line was built without AWS access');
  const say = (line: string) => progressLine(ctx, 'deploy', line);
  const pulumi = await aws.pulumi();
  if (!pulumi) {
    const { PULUMI_FIX } = await import('@multiclaw-lab/aws/pulumi-cli');
    ctx.stderr(`lab deploy: ${new MissingToolError('the pulumi CLI (lab deploy drives it)', PULUMI_FIX).message}\n`);
    return 1;
  }
  say(`pulumi: ${pulumi.version ?? 'version unknown'} (${pulumi.path})`);
  const region = aws.region();
  try {
    const id = await aws.callerIdentity(region);
    say(`AWS account ${id.account} as ${id.arn}, region ${region}`);
  } catch (err) {
    ctx.stderr(
      `lab deploy: no usable AWS credentials (${describeAwsFailure(err)}); configure them as for the AWS CLI ` +
        '(aws configure, aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID), and the region with AWS_REGION\n',
    );
    return 1;
  }
  try {
    if (command.destroy) {
      say(`destroying every resource of stack ${command.stack}`);
      const summary = await aws.destroy({ stackName: command.stack, onProgress: say });
      const state = await readState(ctx.paths);
      if (state?.driver === 'aws' && state.aws?.stack === command.stack) await removeState(ctx.paths);
      ctx.stdout(`stack ${command.stack} destroyed (${summary})\n`);
      return 0;
    }
    const result = await aws.deploy({ stackName: command.stack, preview: command.preview, onProgress: say });
    if (result.kind === 'preview') {
      ctx.stdout(`preview of stack ${command.stack}: ${result.summary}; nothing was changed\n`);
      return 0;
    }
    ctx.stdout(
      `stack ${command.stack} is deployed (${result.summary}): ${result.outputs.endpoints.api}\n` +
        `attach the lab to it: pnpm lab up --driver aws --stack ${command.stack}\n`,
    );
    return 0;
  } catch (err) {
    ctx.stderr(`lab deploy: ${describeAwsFailure(err)}\n`);
    return 1;
  }
}
