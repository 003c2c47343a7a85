import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { bucketPolicy, privateBucket } from './buckets.ts';
import type { StackContext } from './context.ts';

/** AWS's managed cache policy "CachingOptimized". */
const CACHING_OPTIMIZED_POLICY_ID = '658327ea-f89d-4fab-a63d-7e88639e58f6';

export interface Cdn {
  bucket: aws.s3.Bucket;
  distribution: aws.cloudfront.Distribution;
}

/**
 * The update CDN: a private bucket that only this distribution reads (Origin Access Control,
 * SigV4, bucket policy bound to the distribution's ARN), HTTPS only towards viewers.
 *
 * The bucket uses S3-managed keys rather than the stack key: CloudFront would otherwise need a
 * key-policy grant bound to the distribution, and update files are public by nature (their
 * integrity comes from minisign signatures, not from secrecy).
 *
 * Certificate: with `cdnCertificateArn` (a publicly trusted ACM certificate in us-east-1) the
 * distribution answers `cdn.<domain>` with TLS 1.2 as the floor. Without it, CloudFront's
 * default *.cloudfront.net certificate is used, and then CloudFront fixes the floor at TLSv1
 * whatever is asked (CloudFront API reference, ViewerCertificate.MinimumProtocolVersion);
 * CloudFront refuses the lab CA for an alternate name (it accepts only CAs on Mozilla's list).
 */
export function cdn(ctx: StackContext, cdnName: string): Cdn {
  const store = privateBucket(ctx, 'cdn', { kind: 's3' });
  const oac = new aws.cloudfront.OriginAccessControl(
    'cdn-oac',
    {
      description: `multiclaw-lab ${ctx.stack}: CloudFront reads the update bucket`,
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    },
    ctx.opts,
  );
  const originId = 'updates';
  const certificateArn = ctx.config.cdnCertificateArn;
  const distribution = new aws.cloudfront.Distribution(
    'cdn-distribution',
    {
      enabled: true,
      comment: `multiclaw-lab ${ctx.stack} update CDN`,
      priceClass: 'PriceClass_100',
      httpVersion: 'http2and3',
      origins: [{ originId, domainName: store.bucket.bucketRegionalDomainName, originAccessControlId: oac.id }],
      defaultCacheBehavior: {
        targetOriginId: originId,
        viewerProtocolPolicy: 'https-only',
        allowedMethods: ['GET', 'HEAD'],
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
        compress: true,
      },
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      ...(certificateArn
        ? {
            aliases: [cdnName],
            viewerCertificate: {
              acmCertificateArn: certificateArn,
              sslSupportMethod: 'sni-only',
              minimumProtocolVersion: 'TLSv1.2_2021',
            },
          }
        : { viewerCertificate: { cloudfrontDefaultCertificate: true } }),
    },
    ctx.opts,
  );
  bucketPolicy(ctx, 'cdn', store, [
    {
      Sid: 'CloudFrontReadsThroughThisDistributionOnly',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: pulumi.interpolate`${store.bucket.arn}/*`,
      Condition: { StringEquals: { 'AWS:SourceArn': distribution.arn } },
    },
  ]);
  return { bucket: store.bucket, distribution };
}
