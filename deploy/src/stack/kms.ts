import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { jsonPolicy, type StackContext } from './context.ts';

/**
 * The stack's one customer managed key: EBS volumes, RDS storage and its managed master
 * secret, every Secrets Manager secret, the private buckets and both log groups. Who may use it
 * is in its key policy: the account (so IAM policies decide, as usual), CloudWatch Logs for the
 * stack's log groups only, and EC2 Auto Scaling's service-linked role, without which an auto
 * scaling group cannot launch instances whose volumes use a customer managed key.
 */
export function stackKey(ctx: StackContext): aws.kms.Key {
  const { region } = ctx.config;
  const policy = ctx.accountId.apply((account) => {
    const arn = (service: string, rest: string) => `arn:${ctx.partition}:${service}::${account}:${rest}`;
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AccountAdministersTheKeyThroughIam',
          Effect: 'Allow',
          Principal: { AWS: arn('iam', 'root') },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'CloudWatchLogsEncryptsTheStackLogGroups',
          Effect: 'Allow',
          Principal: { Service: `logs.${region}.amazonaws.com` },
          Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          Resource: '*',
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': `arn:${ctx.partition}:logs:${region}:${account}:log-group:/multiclaw-lab/${ctx.stack}/*`,
            },
          },
        },
        {
          Sid: 'AutoScalingUsesTheKeyForInstanceVolumes',
          Effect: 'Allow',
          Principal: {
            AWS: arn('iam', 'role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling'),
          },
          Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          Resource: '*',
        },
        {
          Sid: 'AutoScalingGrantsOnlyToAwsResources',
          Effect: 'Allow',
          Principal: {
            AWS: arn('iam', 'role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling'),
          },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
        },
      ],
    };
  });
  const key = new aws.kms.Key(
    'kms-stack',
    {
      description: `multiclaw-lab staging stack ${ctx.stack}: volumes, database, secrets, buckets, logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: jsonPolicy(policy),
    },
    ctx.opts,
  );
  new aws.kms.Alias('kms-stack-alias', { name: `alias/multiclaw-lab-${ctx.stack}`, targetKeyId: key.keyId }, ctx.opts);
  return key;
}

export interface LogGroups {
  components: aws.cloudwatch.LogGroup;
  flowLogs: aws.cloudwatch.LogGroup;
}

export function logGroups(ctx: StackContext, key: aws.kms.Key): LogGroups {
  const group = (name: string, purpose: string) =>
    new aws.cloudwatch.LogGroup(
      `logs-${name}`,
      {
        name: `/multiclaw-lab/${ctx.stack}/${name}`,
        kmsKeyId: key.arn,
        retentionInDays: ctx.config.logRetentionDays,
        tags: { Purpose: purpose },
      },
      { ...ctx.opts, dependsOn: [key] },
    );
  return {
    // tag values of log groups allow letters, digits, spaces and _ . : / = + - @ only (no comma)
    components: group('components', 'component logs as JSON lines'),
    flowLogs: group('flow-logs', 'VPC flow logs of every VPC'),
  };
}

/** The role VPC Flow Logs assumes to write into the flow-log group (and nowhere else). */
export function flowLogRole(ctx: StackContext, flowLogs: aws.cloudwatch.LogGroup): aws.iam.Role {
  const role = new aws.iam.Role(
    'role-flow-logs',
    {
      assumeRolePolicy: jsonPolicy({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': ctx.accountId } },
          },
        ],
      }),
    },
    ctx.opts,
  );
  new aws.iam.RolePolicy(
    'policy-flow-logs',
    {
      role: role.id,
      policy: jsonPolicy({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'WriteFlowLogsIntoTheirGroup',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: pulumi.interpolate`${flowLogs.arn}:*`,
          },
          {
            // part of the minimum the VPC User Guide gives a flow-log role; a list action, which
            // IAM scopes to every log group of the account at most
            Sid: 'FindTheFlowLogGroup',
            Effect: 'Allow',
            Action: 'logs:DescribeLogGroups',
            Resource: pulumi.interpolate`arn:${ctx.partition}:logs:${ctx.config.region}:${ctx.accountId}:log-group:*`,
          },
        ],
      }),
    },
    ctx.opts,
  );
  return role;
}
