/**
 * Pulumi mocks that play AWS for the unit tests: every resource the program declares is
 * recorded with its inputs (what a PolicyPack's validateStack sees as props), and answered with
 * the outputs the program reads (ids, ARNs, names, addresses). The answers are made so that
 * every id, ARN and name is unique, which lets `ruleResources()` tell, for each input property,
 * which resources its value came from (the `refs` the policy rules follow).
 */
import type * as pulumi from '@pulumi/pulumi';
import type { RuleResource } from '../policy/resources.ts';

export const MOCK_ACCOUNT = '123456789012';
export const MOCK_AMI = 'ami-0123456789abcdef0';

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  id: string;
  state: Record<string, unknown>;
}

const REGION = 'eu-west-1';

/** The outputs AWS would add to a resource's inputs (only those the program reads). */
function outputsOf(type: string, name: string, inputs: Record<string, unknown>, address: () => string): Record<string, unknown> {
  const arn = `arn:aws:mock:${REGION}:${MOCK_ACCOUNT}:${name}`;
  switch (type) {
    case 'aws:s3/bucket:Bucket': {
      const bucket = (inputs.bucket as string | undefined) ?? `${name}-0a1b2c3`;
      return {
        id: bucket,
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com`,
      };
    }
    case 'aws:s3/bucketObjectv2:BucketObjectv2':
      return { id: String(inputs.key) };
    case 'aws:kms/key:Key':
      return { id: `${name}-key-id`, keyId: `${name}-key-id`, arn: `arn:aws:kms:${REGION}:${MOCK_ACCOUNT}:key/${name}` };
    case 'aws:secretsmanager/secret:Secret':
      return { id: `${name}-id`, arn: `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:${String(inputs.name)}-AbCdEf` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { id: String(inputs.name), arn: `arn:aws:logs:${REGION}:${MOCK_ACCOUNT}:log-group:${String(inputs.name)}` };
    case 'aws:ec2/eip:Eip':
      return { id: `eipalloc-${name}`, allocationId: `eipalloc-${name}`, publicIp: address() };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return { id: `${name}-id`, arn, dnsName: `${name}-123456.${REGION}.elb.amazonaws.com`, zoneId: 'Z32O12XQLNTSW2' };
    case 'aws:rds/instance:Instance':
      return {
        id: `${name}-id`,
        arn,
        address: `${name}.abcdefghijkl.${REGION}.rds.amazonaws.com`,
        masterUserSecrets: [
          {
            secretArn: `arn:aws:secretsmanager:${REGION}:${MOCK_ACCOUNT}:secret:rds!${name}-AbCdEf`,
            kmsKeyId: inputs.masterUserSecretKmsKeyId,
            secretStatus: 'active',
          },
        ],
      };
    case 'aws:cloudfront/distribution:Distribution':
      return { id: 'E2MOCKDIST', arn, domainName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2' };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { id: `lt-${name}`, arn, latestVersion: 1 };
    case 'aws:route53/zone:Zone':
      return { id: `Z-${name}`, zoneId: `Z-${name}`, arn };
    case 'aws:autoscaling/group:Group':
      return { id: `${name}-0a1b2c3`, name: `${name}-0a1b2c3`, arn };
    case 'aws:iam/role:Role':
    case 'aws:iam/instanceProfile:InstanceProfile':
    case 'aws:rds/subnetGroup:SubnetGroup':
    case 'aws:rds/parameterGroup:ParameterGroup':
      return { id: `${name}-0a1b2c3`, name: `${name}-0a1b2c3`, arn };
    default:
      return { id: `${name}-id`, arn };
  }
}

export class MockCloud implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  private addresses = 0;

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    // public addresses are made up inside the lab's range (the repository uses no other)
    const outputs = outputsOf(args.type, args.name, inputs, () => `198.18.250.${++this.addresses}`);
    const { id, ...rest } = outputs;
    const state = { ...inputs, ...rest };
    this.resources.push({ type: args.type, name: args.name, inputs, id: String(id), state });
    return { id: String(id), state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    switch (args.token) {
      case 'aws:index/getCallerIdentity:getCallerIdentity':
        return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`, userId: 'AIDAMOCK', id: MOCK_ACCOUNT };
      case 'aws:ssm/getParameter:getParameter':
        return { id: args.inputs.name, name: args.inputs.name, type: 'String', value: MOCK_AMI, arn: 'arn:aws:ssm:mock' };
      default:
        return {};
    }
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  byName(name: string): RecordedResource {
    const found = this.resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource named ${name}; have ${this.resources.map((r) => r.name).join(', ')}`);
    return found;
  }

  /** The recorded resources as the policy rules see them, with `refs` worked out from the values. */
  ruleResources(): RuleResource[] {
    const owner = new Map<string, string>();
    for (const r of this.resources) {
      for (const key of ['arn', 'name', 'bucket', 'keyId', 'allocationId', 'zoneId'] as const) {
        const value = r.state[key];
        if (typeof value === 'string' && !owner.has(value)) owner.set(value, r.name);
      }
      owner.set(r.id, r.name);
    }
    return this.resources.map((r) => {
      const refs: Record<string, string[]> = {};
      for (const [property, value] of Object.entries(r.inputs)) {
        const names = new Set<string>();
        const visit = (v: unknown): void => {
          if (typeof v === 'string') {
            const name = owner.get(v);
            if (name && name !== r.name) names.add(name);
          } else if (Array.isArray(v)) v.forEach(visit);
          else if (v && typeof v === 'object') Object.values(v).forEach(visit);
        };
        visit(value);
        if (names.size > 0) refs[property] = [...names];
      }
      return { type: r.type, name: r.name, inputs: r.inputs, refs };
    });
  }
}
