/**
 * What a policy rule sees: a resource's type token, its logical name, its input properties, and
 * which other resources (by logical name) each property's value came from. The mocks of the
 * unit tests record exactly this; the PolicyPack (pack.ts) builds it from `validateStack`'s
 * `args.resources` (`props` and `propertyDependencies`). Rules are plain functions of a list of
 * these, so the same code runs in tests and in `pulumi preview --policy-pack`.
 */
export interface RuleResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** property name → logical names of the resources its value was taken from */
  refs?: Record<string, string[]>;
}

export interface Violation {
  rule: string;
  /** logical name of the resource in violation */
  resource: string;
  message: string;
}

export interface PolicyRule {
  name: string;
  description: string;
  check(resources: readonly RuleResource[]): Violation[];
}

export const TYPES = {
  vpc: 'aws:ec2/vpc:Vpc',
  flowLog: 'aws:ec2/flowLog:FlowLog',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  securityGroupRule: 'aws:ec2/securityGroupRule:SecurityGroupRule',
  ingressRule: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  defaultSecurityGroup: 'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup',
  instance: 'aws:ec2/instance:Instance',
  launchTemplate: 'aws:ec2/launchTemplate:LaunchTemplate',
  launchConfiguration: 'aws:ec2/launchConfiguration:LaunchConfiguration',
  volume: 'aws:ebs/volume:Volume',
  bucket: 'aws:s3/bucket:Bucket',
  bucketV2: 'aws:s3/bucketV2:BucketV2',
  bucketEncryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  bucketEncryptionV2: 'aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  rdsInstance: 'aws:rds/instance:Instance',
  rdsCluster: 'aws:rds/cluster:Cluster',
  rdsParameterGroup: 'aws:rds/parameterGroup:ParameterGroup',
  secret: 'aws:secretsmanager/secret:Secret',
  iamPolicy: 'aws:iam/policy:Policy',
  iamRole: 'aws:iam/role:Role',
  iamRolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  iamUserPolicy: 'aws:iam/userPolicy:UserPolicy',
  iamGroupPolicy: 'aws:iam/groupPolicy:GroupPolicy',
  iamRolePolicyAttachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  iamUserPolicyAttachment: 'aws:iam/userPolicyAttachment:UserPolicyAttachment',
  iamGroupPolicyAttachment: 'aws:iam/groupPolicyAttachment:GroupPolicyAttachment',
  iamPolicyAttachment: 'aws:iam/policyAttachment:PolicyAttachment',
} as const;

export function ofType(resources: readonly RuleResource[], ...types: string[]): RuleResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/** The resources a property of `resource` refers to (by the refs the adapters recorded). */
export function referenced(resources: readonly RuleResource[], resource: RuleResource, property: string): RuleResource[] {
  const names = resource.refs?.[property] ?? [];
  return resources.filter((r) => names.includes(r.name));
}

/** The resources of `types` whose `property` refers to `target`. */
export function referrers(
  resources: readonly RuleResource[],
  target: RuleResource,
  property: string,
  ...types: string[]
): RuleResource[] {
  return ofType(resources, ...types).filter((r) => r.refs?.[property]?.includes(target.name));
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** true, or the string "true" (launch templates take booleans as strings) */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}
