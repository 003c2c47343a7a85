import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { jsonPolicy, type StackContext } from './context.ts';

export interface PrivateBucket {
  bucket: aws.s3.Bucket;
  /** created before any policy or object, so nothing is ever briefly public */
  publicAccessBlock: aws.s3.BucketPublicAccessBlock;
}

/**
 * A bucket nobody outside the stack reaches: all four public-access blocks on, object
 * ownership enforced (no ACLs), default encryption (the stack key, or S3-managed keys where a
 * service principal that cannot use the stack key reads it), TLS-only by bucket policy.
 */
export function privateBucket(
  ctx: StackContext,
  name: string,
  encryption: { kind: 'kms'; key: aws.kms.Key } | { kind: 's3' },
): PrivateBucket {
  const bucket = new aws.s3.Bucket(`bucket-${name}`, { forceDestroy: true, tags: { Purpose: name } }, ctx.opts);
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `bucket-${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    ctx.opts,
  );
  new aws.s3.BucketOwnershipControls(
    `bucket-${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } },
    ctx.opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `bucket-${name}-encryption`,
    {
      bucket: bucket.id,
      rules: [
        encryption.kind === 'kms'
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: encryption.key.arn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    },
    ctx.opts,
  );
  return { bucket, publicAccessBlock };
}

/** The bucket's policy: TLS only, plus what the caller grants (e.g. CloudFront's read). */
export function bucketPolicy(
  ctx: StackContext,
  name: string,
  target: PrivateBucket,
  extraStatements: pulumi.Input<unknown>[] = [],
): aws.s3.BucketPolicy {
  const { bucket } = target;
  return new aws.s3.BucketPolicy(
    `bucket-${name}-policy`,
    {
      bucket: bucket.id,
      policy: jsonPolicy({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          ...extraStatements,
        ],
      }),
    },
    { ...ctx.opts, dependsOn: [target.publicAccessBlock] },
  );
}
