import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { PORTS } from '../ports.ts';
import type { StackContext } from './context.ts';

export interface Database {
  instance: aws.rds.Instance;
  /** the Secrets Manager secret RDS made and manages ({"username","password"}), encrypted with the stack key */
  credentialsSecretArn: pulumi.Output<string>;
}

export const DATABASE_NAME = 'multiclaw';
export const DATABASE_USER = 'multiclaw';

/**
 * RDS PostgreSQL, private and TLS-only. The master password is made, stored and rotated by RDS
 * itself (`manageMasterUserPassword`, in Secrets Manager under the stack key): the program never
 * draws a random value (a program that does would change the password on every preview, and
 * @pulumi/random is not a dependency), and the password is in neither the stack's config nor
 * its state. The cloud instances get the secret's ARN and read it through their role.
 */
export function database(ctx: StackContext, key: aws.kms.Key, subnets: aws.ec2.Subnet[], group: aws.ec2.SecurityGroup): Database {
  const { engineVersion, allocatedStorageGb } = ctx.config.database;
  const subnetGroup = new aws.rds.SubnetGroup('db-subnets', { subnetIds: subnets.map((s) => s.id) }, ctx.opts);
  const parameters = new aws.rds.ParameterGroup(
    'db-parameters',
    {
      family: `postgres${engineVersion}`,
      description: 'TLS only (rds.force_ssl), TLS 1.2 or newer',
      parameters: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'ssl_min_protocol_version', value: 'TLSv1.2' },
      ],
    },
    ctx.opts,
  );
  const instance = new aws.rds.Instance(
    'db-postgres',
    {
      engine: 'postgres',
      engineVersion,
      instanceClass: ctx.config.instanceTypes.database,
      allocatedStorage: allocatedStorageGb,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: key.arn,
      dbName: DATABASE_NAME,
      username: DATABASE_USER,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: key.arn,
      port: PORTS.postgres,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [group.id],
      parameterGroupName: parameters.name,
      publiclyAccessible: false,
      multiAz: false,
      backupRetentionPeriod: 1,
      // staging: torn down and made again, nothing in it outlives a run
      skipFinalSnapshot: true,
      deletionProtection: false,
      applyImmediately: true,
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
    },
    ctx.opts,
  );
  return { instance, credentialsSecretArn: instance.masterUserSecrets.apply((s) => s[0]?.secretArn ?? '') };
}
