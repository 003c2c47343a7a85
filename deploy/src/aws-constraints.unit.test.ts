/**
 * What AWS itself would refuse (or quietly get wrong) at `pulumi up`, checked on the mocked
 * program. Pulumi mocks accept any argument, so each rule below restates one documented AWS
 * constraint and checks every resource it applies to.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_TAG } from './outputs.ts';
import { decodeUserData, USER_DATA_LIMIT_BYTES } from './stack/instances.ts';
import { MOCK_ACCOUNT, type RecordedResource } from './testing/mock-cloud.ts';
import { type MockedRun, runMockedProgram } from './testing/run-program.ts';

let base: MockedRun;
let postgres15: MockedRun;

beforeAll(async () => {
  base = await runMockedProgram();
  postgres15 = await runMockedProgram({ database: { engineVersion: '15' } });
});

const T = {
  instance: 'aws:ec2/instance:Instance',
  launchTemplate: 'aws:ec2/launchTemplate:LaunchTemplate',
  sg: 'aws:ec2/securityGroup:SecurityGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egress: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  zone: 'aws:route53/zone:Zone',
  record: 'aws:route53/record:Record',
  subnet: 'aws:ec2/subnet:Subnet',
};

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: { Service?: string; AWS?: string };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const statementsOf = (policy: unknown): Statement[] => JSON.parse(policy as string).Statement;
const actionsOf = (s: Statement): string[] => [s.Action].flat();

/** IAM-style wildcard match ("*" any run of characters). */
function wildcard(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);
}

/** What Pulumi sends as a resource's name: the one given, else its logical name plus a random suffix. */
function physicalName(r: RecordedResource): string {
  return (r.inputs.name as string | undefined) ?? `${r.name}-a1b2c3d`;
}

describe('EC2', () => {
  it('keeps every user data within 16 KB before base64, as a script cloud-init can unpack', () => {
    const carriers = [...base.mocks.ofType(T.instance), ...base.mocks.ofType(T.launchTemplate)];
    expect(carriers).toHaveLength(6);
    const encoded = (r: RecordedResource) => (r.inputs.userDataBase64 ?? r.inputs.userData) as string;
    const oversized = carriers
      .map((r) => `${r.name}: ${Buffer.from(encoded(r), 'base64').length} bytes`)
      .filter((line) => Number(line.split(': ')[1]!.split(' ')[0]) > USER_DATA_LIMIT_BYTES);
    expect(oversized).toEqual([]);
    for (const r of carriers) expect(decodeUserData(encoded(r)).startsWith('#!/bin/sh'), r.name).toBe(true);
  });

  it('names security groups as EC2 allows (not "sg-…") and describes groups and rules in its character set', () => {
    // CreateSecurityGroup: up to 255 of a-z A-Z 0-9 space ._-:/()#,@[]+=&;{}!$*, and a group name
    // may not start with "sg-"; rule descriptions take the same characters
    const allowed = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;
    for (const g of base.mocks.ofType(T.sg)) {
      const name = physicalName(g);
      expect(name, g.name).not.toMatch(/^sg-/i);
      expect(name, g.name).toMatch(allowed);
      expect(g.inputs.description, g.name).toMatch(allowed);
    }
    const rules = [...base.mocks.ofType(T.ingress), ...base.mocks.ofType(T.egress)];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(r.inputs.description, r.name).toMatch(allowed);
  });

  it('maps the launch template root volume on /dev/xvda, the root device of Debian AMIs', () => {
    // Debian's AMIs are registered with RootDeviceName /dev/xvda; another name would add a second
    // volume and leave the root on the AMI's own (unencrypted) mapping
    const devices = base.mocks.byName('lt-cloud').inputs.blockDeviceMappings as { deviceName: string }[];
    expect(devices.map((d) => d.deviceName)).toEqual(['/dev/xvda']);
  });
});

describe('KMS key policy', () => {
  const keyPolicy = () => statementsOf(base.mocks.byName('kms-stack').inputs.policy);

  it('lets CloudWatch Logs use the key for every encrypted log group, bound to that group by the encryption context', () => {
    const groups = base.mocks.ofType(T.logGroup).filter((g) => g.inputs.kmsKeyId);
    expect(groups).toHaveLength(2);
    const logs = keyPolicy().filter((s) => s.Effect === 'Allow' && s.Principal?.Service === 'logs.eu-west-1.amazonaws.com');
    for (const g of groups) {
      const arn = g.state.arn as string;
      const grants = logs.filter((s) => {
        const pattern = s.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'] as string | undefined;
        return pattern !== undefined && wildcard(pattern, arn);
      });
      expect(grants, `${g.name} (${arn})`).not.toHaveLength(0);
      const actions = grants.flatMap(actionsOf);
      for (const needed of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'])
        expect(
          actions.some((a) => wildcard(a, needed)),
          `${g.name}: ${needed}`,
        ).toBe(true);
    }
  });

  it('lets the auto scaling service-linked role launch volumes with the key (use, and grants for AWS resources)', () => {
    const slr = `arn:aws:iam::${MOCK_ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    const statements = keyPolicy().filter((s) => s.Effect === 'Allow' && s.Principal?.AWS === slr);
    const actions = statements.flatMap(actionsOf);
    for (const needed of [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:DescribeKey',
    ])
      expect(
        actions.some((a) => wildcard(a, needed)),
        needed,
      ).toBe(true);
    const grant = statements.find((s) => actionsOf(s).includes('kms:CreateGrant'));
    expect(grant?.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': true } });
  });
});

describe('CloudWatch Logs and flow logs', () => {
  it('tags log groups only with what CloudWatch Logs accepts (letters, digits, spaces, _.:/=+-@)', () => {
    const pattern = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
    const provider = base.mocks.ofType('pulumi:providers:aws')[0]!;
    const defaultTags = (JSON.parse(provider.inputs.defaultTags as string) as { tags: Record<string, string> }).tags;
    expect(defaultTags[STACK_TAG]).toBe('test');
    for (const g of base.mocks.ofType(T.logGroup)) {
      const tags = { ...defaultTags, ...(g.inputs.tags as Record<string, string>) };
      for (const [key, value] of Object.entries(tags)) {
        expect(key, `${g.name} tag key`).toMatch(pattern);
        expect(value, `${g.name} tag ${key}`).toMatch(pattern);
      }
    }
  });

  it('gives the flow-log role the documented minimum for a group that already exists', () => {
    const actions = statementsOf(base.mocks.byName('policy-flow-logs').inputs.policy).flatMap(actionsOf);
    for (const needed of ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams'])
      expect(actions, needed).toContain(needed);
  });
});

describe('Route 53', () => {
  it('points no alias record of a private zone at CloudFront (Route 53 refuses it there)', () => {
    const distribution = base.mocks.byName('cdn-distribution');
    const privateZones = new Set(
      base.mocks
        .ofType(T.zone)
        .filter((z) => z.inputs.vpcs)
        .map((z) => z.state.zoneId),
    );
    expect(privateZones.size).toBe(2);
    for (const record of base.mocks.ofType(T.record).filter((r) => privateZones.has(r.inputs.zoneId))) {
      const aliases = (record.inputs.aliases as { zoneId: string }[] | undefined) ?? [];
      expect(
        aliases.map((a) => a.zoneId),
        record.name,
      ).not.toContain(distribution.state.hostedZoneId);
    }
    expect(base.mocks.byName('dns-cdn').inputs).toMatchObject({
      type: 'CNAME',
      records: [distribution.state.domainName],
    });
  });
});

describe('load balancer and database placement', () => {
  const zonesOf = (run: MockedRun, subnetIds: string[]) =>
    new Set(subnetIds.map((id) => run.mocks.ofType(T.subnet).find((s) => s.id === id)!.inputs.availabilityZone));

  it('spreads the load balancer and the database subnet group over two zones', () => {
    expect(zonesOf(base, base.mocks.byName('alb').inputs.subnets as string[]).size).toBe(2);
    expect(zonesOf(base, base.mocks.byName('db-subnets').inputs.subnetIds as string[]).size).toBe(2);
  });

  it('uses the parameter group family of the engine major version', () => {
    for (const [run, major] of [
      [base, '16'],
      [postgres15, '15'],
    ] as const) {
      expect(run.mocks.byName('db-postgres').inputs.engineVersion).toBe(major);
      expect(run.mocks.byName('db-parameters').inputs.family).toBe(`postgres${major}`);
    }
  });
});
