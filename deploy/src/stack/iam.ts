import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { InstanceRole } from '../outputs.ts';
import { jsonPolicy, type StackContext } from './context.ts';

/** Systems Manager's own managed policy for an instance it manages (Run Command, Session Manager). */
export const SSM_CORE_POLICY_ARN = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

export interface InstanceAccess {
  /** every secret this role's instances read, and nothing else */
  secretArns: pulumi.Input<string>[];
  key: aws.kms.Key;
  artifactObjectArns: pulumi.Input<string>[];
  logGroup: aws.cloudwatch.LogGroup;
  commandOutputBucket: aws.s3.Bucket;
}

/**
 * One role per instance role, least privilege: GetSecretValue on exactly its secrets,
 * kms:Decrypt on the stack key only through Secrets Manager and S3 (kms:ViaService), its two
 * build objects, its log streams, SSM command output into the command bucket, and Systems
 * Manager's managed instance policy (no SSH anywhere: SSM is the only way in).
 */
export function instanceProfile(ctx: StackContext, role: InstanceRole, access: InstanceAccess): aws.iam.InstanceProfile {
  const { region } = ctx.config;
  const iamRole = new aws.iam.Role(
    `role-${role}`,
    {
      description: `multiclaw-lab ${ctx.stack}: ${role} instances`,
      assumeRolePolicy: jsonPolicy({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    },
    ctx.opts,
  );
  const statements: pulumi.Input<unknown>[] = [
    {
      Sid: 'DecryptThroughSecretsManagerAndS3Only',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: access.key.arn,
      Condition: {
        StringEquals: { 'kms:ViaService': [`secretsmanager.${region}.amazonaws.com`, `s3.${region}.amazonaws.com`] },
      },
    },
    { Sid: 'ReadTheBuild', Effect: 'Allow', Action: 's3:GetObject', Resource: access.artifactObjectArns },
    {
      Sid: 'WriteComponentLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      Resource: pulumi.interpolate`${access.logGroup.arn}:*`,
    },
    {
      Sid: 'WriteCommandOutput',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: pulumi.interpolate`${access.commandOutputBucket.arn}/*`,
    },
  ];
  if (access.secretArns.length > 0)
    statements.unshift({
      Sid: 'ReadOwnSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: access.secretArns,
    });
  new aws.iam.RolePolicy(
    `policy-${role}`,
    { role: iamRole.id, policy: jsonPolicy({ Version: '2012-10-17', Statement: statements }) },
    ctx.opts,
  );
  new aws.iam.RolePolicyAttachment(`ssm-${role}`, { role: iamRole.name, policyArn: SSM_CORE_POLICY_ARN }, ctx.opts);
  return new aws.iam.InstanceProfile(`profile-${role}`, { role: iamRole.name }, ctx.opts);
}
