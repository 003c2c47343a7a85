import { gunzipSync, gzipSync } from 'node:zlib';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { InstanceRole } from '../outputs.ts';
import { renderStartupScript } from '../startup/index.ts';
import { hostTags, type StackContext } from './context.ts';

/** Where `lab deploy` put the build (the startup script downloads it through the instance role). */
export interface Artifacts {
  bucket: pulumi.Output<string>;
  nodeKey: string;
  bundleKey: string;
  /** hex SHA-256 of each file: the start-up script checks every download against it */
  nodeSha256: string;
  bundleSha256: string;
}

export interface HostRuntime {
  /** environment variable → Secrets Manager secret ARN; each becomes a 0600 file named by the variable */
  secretFiles: Record<string, pulumi.Input<string>>;
  /** plain environment (no secrets) */
  env: Record<string, pulumi.Input<string>>;
  /** the cloud role's database: the start-up script makes DATABASE_URL and a pgpass file from it */
  database?: {
    host: pulumi.Input<string>;
    port: number;
    name: string;
    user: string;
    passwordSecretArn: pulumi.Input<string>;
  };
}

export interface HostSpec {
  hostId: string;
  role: InstanceRole;
  site?: string;
}

/**
 * EC2 refuses user data over 16 KB, counted before base64 (RunInstances and launch templates
 * alike; "User data is limited to 16384 bytes"). The start-up scripts are larger than that as
 * text, so they are sent gzip-compressed: cloud-init recognises gzip user data and unpacks it
 * before running it.
 */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/** The start-up script inside a host's user data (base64 of gzip), as cloud-init will run it. */
export function decodeUserData(base64: string): string {
  return gunzipSync(Buffer.from(base64, 'base64')).toString('utf8');
}

/**
 * The base64 user data of one host: the start-up script from `startup/`, rendered once every
 * input (bucket name, secret ARNs, log group) is known, gzip-compressed (see
 * USER_DATA_LIMIT_BYTES). It holds ARNs and names only, never a secret value: anyone allowed to
 * describe an instance can read its user data.
 */
export function userData(
  ctx: StackContext,
  host: HostSpec,
  artifacts: Artifacts,
  runtime: HostRuntime,
  logGroup: aws.cloudwatch.LogGroup,
): pulumi.Output<string> {
  return pulumi
    .all([
      artifacts.bucket,
      pulumi.output(runtime.secretFiles),
      pulumi.output(runtime.env),
      logGroup.name,
      pulumi.output(runtime.database),
    ])
    .apply(([bucket, secretFiles, env, logGroupName, database]) =>
      // level 9 and no file name or time in the header: the same script gives the same bytes,
      // so an unchanged host is not replaced (userDataReplaceOnChange)
      gzipSync(
        renderStartupScript({
          hostId: host.hostId,
          role: host.role,
          region: ctx.config.region,
          artifacts: {
            bucket,
            nodeKey: artifacts.nodeKey,
            bundleKey: artifacts.bundleKey,
            nodeSha256: artifacts.nodeSha256,
            bundleSha256: artifacts.bundleSha256,
          },
          secretFiles,
          env,
          logGroup: logGroupName,
          ...(database ? { database } : {}),
        }),
        { level: 9 },
      ).toString('base64'),
    );
}

/** Instance metadata: IMDSv2 only (session tokens), one hop (no container on the host reaches it). */
export const METADATA_OPTIONS = {
  httpEndpoint: 'enabled',
  httpTokens: 'required',
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: 'disabled',
} as const;

export const ROOT_VOLUME_GB = 16;

export interface InstanceSpec extends HostSpec {
  instanceType: string;
  ami: pulumi.Input<string>;
  subnet: aws.ec2.Subnet;
  securityGroup: aws.ec2.SecurityGroup;
  profile: aws.iam.InstanceProfile;
  userData: pulumi.Output<string>;
  key: aws.kms.Key;
  /**
   * the instance's own network interface, made beforehand (in `subnet`, with `securityGroup`):
   * an Elastic IP attached to it is the instance's public address from its first boot on
   */
  networkInterface?: aws.ec2.NetworkInterface;
}

/** One lab host as an EC2 instance: no key pair, IMDSv2, encrypted root volume, its role's profile. */
export function labInstance(ctx: StackContext, spec: InstanceSpec): aws.ec2.Instance {
  const tags = hostTags(ctx.stack, spec);
  return new aws.ec2.Instance(
    `host-${spec.hostId}`,
    {
      ami: spec.ami,
      instanceType: spec.instanceType,
      ...(spec.networkInterface
        ? { primaryNetworkInterface: { networkInterfaceId: spec.networkInterface.id } }
        : { subnetId: spec.subnet.id, vpcSecurityGroupIds: [spec.securityGroup.id], associatePublicIpAddress: false }),
      iamInstanceProfile: spec.profile.name,
      metadataOptions: { ...METADATA_OPTIONS },
      rootBlockDevice: {
        encrypted: true,
        kmsKeyId: spec.key.arn,
        volumeType: 'gp3',
        volumeSize: ROOT_VOLUME_GB,
        deleteOnTermination: true,
        tags,
      },
      userDataBase64: spec.userData,
      // a new start-up script means a new host, as in the local lab
      userDataReplaceOnChange: true,
      tags,
    },
    ctx.opts,
  );
}
