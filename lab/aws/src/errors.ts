/**
 * What can go wrong between the harness and a staging stack on AWS, one class per failure. Each
 * message names the stack, the host and the instance where it applies, and what to do.
 */
import { LabError } from '@multiclaw-lab/kit';

/** An AWS API request failed: no credentials, no permission, an endpoint that does not answer. */
export class AwsApiError extends LabError {
  readonly operation: string;
  constructor(operation: string, where: string, cause: unknown) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('LAB_AWS_API', `${operation} failed (${where}): ${reason}`, {
      hint: 'check the AWS credentials and region (aws sts get-caller-identity), and that they may use this stack',
      cause,
    });
    this.operation = operation;
  }
}

/** No running instance carries the tags of a lab host. */
export class AwsHostNotFoundError extends LabError {
  constructor(hostId: string, stack: string, detail: string) {
    super('LAB_AWS_NO_INSTANCE', `no running instance is lab host ${hostId} of stack ${stack}: ${detail}`, {
      hint: 'pnpm lab status lists the hosts; an instance being replaced comes back within minutes, a missing one after pnpm lab deploy',
    });
  }
}

/** More than one running instance carries the tags of one lab host. */
export class AwsHostAmbiguousError extends LabError {
  constructor(hostId: string, stack: string, instanceIds: readonly string[]) {
    super(
      'LAB_AWS_AMBIGUOUS_HOST',
      `${instanceIds.length} running instances are lab host ${hostId} of stack ${stack} (${instanceIds.join(', ')})`,
      { hint: 'each lab host is one instance: terminate the extra ones, or run pnpm lab deploy to put the stack right' },
    );
  }
}

/** Run Command did not run a script to its end: undeliverable, cancelled, terminated, refused. */
export class SsmCommandFailedError extends LabError {
  readonly status: string;
  constructor(what: string, where: string, status: string, detail: string) {
    super('LAB_AWS_COMMAND_FAILED', `${what} did not run on ${where}: SSM status ${status}${detail ? ` (${detail})` : ''}`, {
      hint: 'the instance must run the SSM agent and be online in Fleet Manager; its role needs AmazonSSMManagedInstanceCore',
    });
    this.status = status;
  }
}

/** A script ran past its time on the instance, or SSM gave no final status in time. */
export class SsmCommandTimeoutError extends LabError {
  constructor(what: string, where: string, timeoutMs: number, detail: string) {
    super('LAB_AWS_COMMAND_TIMEOUT', `${what} on ${where} did not finish within ${timeoutMs} ms (${detail})`, {
      hint: 'give it a longer timeout, or look at the instance (its SSM agent log: /var/log/amazon/ssm/amazon-ssm-agent.log)',
    });
  }
}

/** Inline output was cut at SSM's limit and the full copy is not in the command output bucket. */
export class SsmOutputMissingError extends LabError {
  constructor(what: string, stream: 'stdout' | 'stderr', location: string) {
    super('LAB_AWS_OUTPUT_MISSING', `the full ${stream} of ${what} is not at ${location}; SSM returned only its first part`, {
      hint: "the instance role must be allowed s3:PutObject on the stack's command output bucket",
    });
  }
}

/** A stack's outputs are not what the aws driver reads (deploy/src/outputs.ts). */
export class StackOutputsInvalidError extends LabError {
  constructor(stack: string, problems: string) {
    super('LAB_AWS_BAD_OUTPUTS', `stack ${stack} has outputs the aws driver cannot use: ${problems}`, {
      hint: 'deploy it again with this checkout: pnpm lab deploy --stack NAME',
    });
  }
}

/** No Pulumi stack of that name. */
export class StackNotFoundError extends LabError {
  constructor(stack: string, cause?: unknown) {
    super('LAB_AWS_NO_STACK', `there is no staging stack ${stack}`, {
      hint: `deploy it first: pnpm lab deploy --stack ${stack} (pulumi stack ls shows the ones there are)`,
      cause,
    });
  }
}

/** pulumi preview, up or destroy failed. */
export class DeployFailedError extends LabError {
  constructor(action: string, stack: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'LAB_AWS_DEPLOY_FAILED',
      `pulumi ${action} of stack ${stack} failed: ${reason.trim().split('\n').slice(-12).join('\n')}`,
      {
        hint: 'the lines above come from pulumi; fix what they name and run the same command again (it resumes)',
        cause,
      },
    );
  }
}

/** An attached stack is not ready: an instance does not answer SSM, or an endpoint not /healthz. */
export class StackNotReadyError extends LabError {
  constructor(stack: string, problems: readonly string[]) {
    super('LAB_AWS_NOT_READY', `stack ${stack} is not ready:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      hint: 'instances start within minutes of a deploy; try again, or look at them with the AWS console (Fleet Manager)',
    });
  }
}
