/**
 * The AWS SDK clients the aws driver uses, made from one place so every one of them goes to the
 * same region and, in tests, to the same stand-in (moto on 127.0.0.1): an `endpoint`, fixed
 * credentials and path-style S3 addressing. Without those, the SDK's own chain applies
 * (environment, profile, SSO, instance role), as it would for the `aws` CLI.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

export interface AwsClientOptions {
  region: string;
  /** one endpoint for every service (moto answers them all on one port) */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** a named profile from ~/.aws/config (what `--profile` is for the CLI) */
  profile?: string;
}

export interface AwsClients {
  readonly region: string;
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly s3: S3Client;
  readonly sts: STSClient;
  readonly logs: CloudWatchLogsClient;
  destroy(): void;
}

function common(options: AwsClientOptions) {
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    // a transient error is retried by the SDK (3 attempts, its own backoff); beyond that the caller decides
    maxAttempts: 3,
  };
}

export function awsClients(options: AwsClientOptions): AwsClients {
  const config = common(options);
  const clients = {
    region: options.region,
    ec2: new EC2Client(config),
    ssm: new SSMClient(config),
    // bucket names in the host part do not resolve for a local endpoint
    s3: new S3Client({ ...config, forcePathStyle: options.endpoint !== undefined }),
    sts: new STSClient(config),
    logs: new CloudWatchLogsClient(config),
  };
  return {
    ...clients,
    destroy() {
      for (const client of [clients.ec2, clients.ssm, clients.s3, clients.sts, clients.logs]) client.destroy();
    },
  };
}

/** Whose credentials the SDK resolves (STS GetCallerIdentity: needs no permission at all). */
export async function callerIdentity(options: AwsClientOptions): Promise<{ account: string; arn: string }> {
  const clients = awsClients(options);
  try {
    const id = await clients.sts.send(new GetCallerIdentityCommand({}));
    return { account: id.Account ?? '?', arn: id.Arn ?? '?' };
  } finally {
    clients.destroy();
  }
}
