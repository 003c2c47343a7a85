/**
 * Each policy rule passes over the mocked program and catches a deliberately broken resource.
 * The broken cases change one resource of the real (mocked) graph, so a rule that passed only
 * because it looked at nothing would fail them.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMockedProgram } from '../testing/run-program.ts';
import type { PolicyRule, RuleResource } from './resources.ts';
import {
  bucketPublicAccessRule,
  checkAll,
  databaseRule,
  encryptionRule,
  flowLogsRule,
  iamLeastPrivilegeRule,
  imdsV2Rule,
  noSshRule,
  POLICY_RULES,
  publicIngressRule,
} from './rules.ts';

let graph: RuleResource[];
let twoSites: RuleResource[];

beforeAll(async () => {
  graph = (await runMockedProgram()).mocks.ruleResources();
  twoSites = (await runMockedProgram({ sites: 2, cloudDesktops: 2, natGatewayPerAz: true })).mocks.ruleResources();
});

/** A copy of the graph with one resource changed (or removed: return undefined). */
function broken(name: string, change: (r: RuleResource) => RuleResource | undefined): RuleResource[] {
  const copy = [...graph]; // changes build new objects: the recorded graph stays as it was
  const index = copy.findIndex((r) => r.name === name);
  if (index < 0) throw new Error(`no resource ${name}`);
  const changed = change(copy[index]!);
  if (changed) copy[index] = changed;
  else copy.splice(index, 1);
  return copy;
}

function added(resource: RuleResource): RuleResource[] {
  return [...graph, resource];
}

function flagged(rule: PolicyRule, resources: RuleResource[]): string[] {
  return rule.check(resources).map((v) => v.message);
}

const ingress22: RuleResource = {
  type: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  name: 'sgr-in-ssh',
  inputs: { ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' },
  refs: { securityGroupId: ['sg-cloud'] },
};

describe('the mocked program passes every rule', () => {
  it.each(POLICY_RULES.map((r) => [r.name, r] as const))('%s', (_name, rule) => {
    expect(rule.check(graph)).toEqual([]);
    expect(rule.check(twoSites)).toEqual([]);
  });

  it('the rules see the resources they judge (a rule over nothing would pass too)', () => {
    const types = new Set(graph.map((r) => r.type));
    for (const type of [
      'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
      'aws:rds/instance:Instance',
      'aws:ec2/launchTemplate:LaunchTemplate',
      'aws:ec2/instance:Instance',
      'aws:ec2/flowLog:FlowLog',
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
      'aws:iam/rolePolicy:RolePolicy',
    ])
      expect(types.has(type)).toBe(true);
    // the refs the rules follow were found: every ingress rule knows its group
    for (const r of graph.filter((x) => x.type === 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule'))
      expect(r.refs?.securityGroupId).toHaveLength(1);
  });
});

describe('each rule flags a broken resource', () => {
  it('public ingress: port 22 from anywhere on the cloud group; 8443 on the load balancer; the relay range widened', () => {
    expect(flagged(publicIngressRule, added(ingress22))).toEqual([
      expect.stringMatching(/sgr-in-ssh .*tcp 22-22 from 0\.0\.0\.0\/0 on a cloud/),
    ]);
    const alb8443 = broken('sgr-in-alb-https', (r) => ({ ...r, inputs: { ...r.inputs, fromPort: 8443, toPort: 8443 } }));
    expect(flagged(publicIngressRule, alb8443)).toHaveLength(1);
    const wideRange = broken('sgr-in-relay-range', (r) => ({ ...r, inputs: { ...r.inputs, fromPort: 1024 } }));
    expect(flagged(publicIngressRule, wideRange)).toEqual([expect.stringContaining('udp 1024-65535')]);
    const ipv6 = broken('sgr-in-cloud-from-alb', (r) => ({
      ...r,
      inputs: { ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv6: '::/0' },
    }));
    expect(flagged(publicIngressRule, ipv6)).toEqual([expect.stringContaining('::/0')]);
  });

  it('no SSH: a port-22 rule (any source), an all-protocol rule, a key pair', () => {
    expect(flagged(noSshRule, added({ ...ingress22, inputs: { ...ingress22.inputs, cidrIpv4: '198.18.0.0/20' } }))).toEqual([
      expect.stringContaining('includes SSH (22)'),
    ]);
    expect(flagged(noSshRule, added({ ...ingress22, inputs: { ipProtocol: '-1', cidrIpv4: '198.18.0.0/20' } }))).toHaveLength(1);
    const keyed = broken('lt-cloud', (r) => ({ ...r, inputs: { ...r.inputs, keyName: 'ops' } }));
    expect(flagged(noSshRule, keyed)).toEqual([expect.stringContaining('names key pair ops')]);
  });

  it('database: public, unencrypted, force_ssl off, no parameter group of the stack', () => {
    const set = (change: Record<string, unknown>) => broken('db-postgres', (r) => ({ ...r, inputs: { ...r.inputs, ...change } }));
    expect(flagged(databaseRule, set({ publiclyAccessible: true }))).toEqual([expect.stringContaining('publiclyAccessible')]);
    expect(flagged(databaseRule, set({ publiclyAccessible: undefined }))).toHaveLength(1);
    expect(flagged(databaseRule, set({ storageEncrypted: false }))).toEqual([expect.stringContaining('storageEncrypted')]);
    const noForceSsl = broken('db-parameters', (r) => ({
      ...r,
      inputs: { ...r.inputs, parameters: [{ name: 'rds.force_ssl', value: '0' }] },
    }));
    expect(flagged(databaseRule, noForceSsl)).toEqual([expect.stringContaining('rds.force_ssl=1')]);
    const defaultGroup = broken('db-postgres', (r) => ({ ...r, refs: { ...r.refs, parameterGroupName: [] } }));
    expect(flagged(databaseRule, defaultGroup)).toEqual([expect.stringContaining('no parameter group')]);
  });

  it('encryption: instance root, launch template device, bucket, log group, database, secret', () => {
    const cases: [string, (r: RuleResource) => RuleResource | undefined, RegExp][] = [
      ['host-relay', (r) => ({ ...r, inputs: { ...r.inputs, rootBlockDevice: { encrypted: false } } }), /root volume/],
      [
        'lt-cloud',
        (r) => ({
          ...r,
          inputs: { ...r.inputs, blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { encrypted: 'false' } }] },
        }),
        /block device/,
      ],
      ['lt-cloud', (r) => ({ ...r, inputs: { ...r.inputs, blockDeviceMappings: [] } }), /declares no block device/],
      ['bucket-artifacts-encryption', () => undefined, /no default encryption/],
      ['logs-components', (r) => ({ ...r, inputs: { ...r.inputs, kmsKeyId: undefined } }), /log group/],
      ['db-postgres', (r) => ({ ...r, inputs: { ...r.inputs, kmsKeyId: undefined } }), /database storage/],
      ['secret-master-key', (r) => ({ ...r, inputs: { ...r.inputs, kmsKeyId: undefined } }), /AWS managed key/],
    ];
    for (const [name, change, message] of cases)
      expect(flagged(encryptionRule, broken(name, change))).toEqual([expect.stringMatching(message)]);
    const volume: RuleResource = { type: 'aws:ebs/volume:Volume', name: 'vol-x', inputs: { size: 8 } };
    expect(flagged(encryptionRule, added(volume))).toEqual([expect.stringContaining('EBS volume is not encrypted')]);
  });

  it('IMDSv2: tokens optional on an instance and on the launch template, a hop limit of 3', () => {
    const tokens = (name: string, metadataOptions: Record<string, unknown>) =>
      broken(name, (r) => ({ ...r, inputs: { ...r.inputs, metadataOptions } }));
    expect(flagged(imdsV2Rule, tokens('host-cd1', { httpTokens: 'optional' }))).toEqual([
      expect.stringContaining('IMDSv1 allowed'),
    ]);
    expect(flagged(imdsV2Rule, tokens('lt-cloud', {}))).toEqual([expect.stringContaining('httpTokens is undefined')]);
    expect(flagged(imdsV2Rule, tokens('host-llm', { httpTokens: 'required', httpPutResponseHopLimit: 3 }))).toEqual([
      expect.stringContaining('hop limit 3'),
    ]);
  });

  it('flow logs: a VPC without one, and one that logs only rejected traffic', () => {
    expect(
      flagged(
        flowLogsRule,
        broken('flowlog-s1', () => undefined),
      ),
    ).toEqual([expect.stringContaining('vpc-s1')]);
    const rejectOnly = broken('flowlog-cloud', (r) => ({ ...r, inputs: { ...r.inputs, trafficType: 'REJECT' } }));
    expect(flagged(flowLogsRule, rejectOnly)).toEqual([expect.stringContaining('vpc-cloud')]);
  });

  it('bucket public access: one block switched off, a block missing', () => {
    const off = broken('bucket-cdn-public-access', (r) => ({ ...r, inputs: { ...r.inputs, restrictPublicBuckets: false } }));
    expect(flagged(bucketPublicAccessRule, off)).toEqual([expect.stringContaining('bucket-cdn ')]);
    expect(
      flagged(
        bucketPublicAccessRule,
        broken('bucket-artifacts-public-access', () => undefined),
      ),
    ).toHaveLength(1);
  });

  it('IAM: * on *, iam:PassRole on *, NotAction, an administrator policy', () => {
    const withStatement = (statement: Record<string, unknown>) =>
      broken('policy-relay', (r) => ({
        ...r,
        inputs: { ...r.inputs, policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) },
      }));
    expect(flagged(iamLeastPrivilegeRule, withStatement({ Effect: 'Allow', Action: '*', Resource: '*' }))).toEqual([
      expect.stringContaining('every action'),
    ]);
    expect(flagged(iamLeastPrivilegeRule, withStatement({ Effect: 'Allow', Action: ['iam:Pass*'], Resource: ['*'] }))).toEqual([
      expect.stringContaining('iam:PassRole'),
    ]);
    expect(flagged(iamLeastPrivilegeRule, withStatement({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }))).toHaveLength(1);
    // scoped to one resource, the same actions are fine
    expect(
      flagged(
        iamLeastPrivilegeRule,
        withStatement({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::1:role/x' }),
      ),
    ).toEqual([]);
    const admin = broken('ssm-relay', (r) => ({
      ...r,
      inputs: { ...r.inputs, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    }));
    expect(flagged(iamLeastPrivilegeRule, admin)).toEqual([expect.stringContaining('AdministratorAccess')]);
  });

  it('checkAll reports a broken graph under every rule that applies', () => {
    const rules = new Set(checkAll(added(ingress22)).map((v) => v.rule));
    expect(rules).toEqual(new Set([publicIngressRule.name, noSshRule.name]));
  });
});

describe('the policy pack', () => {
  it('registers every rule (read as text: importing the pack would start a policy server)', () => {
    const pack = readFileSync(new URL('./pack.ts', import.meta.url), 'utf8');
    expect(pack).toMatch(/policies: POLICY_RULES\.map\(/);
    expect(pack).toContain('validateStack');
    expect(new Set(POLICY_RULES.map((r) => r.name)).size).toBe(8);
  });

  it('is imported by nothing but the policy CLI', () => {
    const index = readFileSync(new URL('../index.ts', import.meta.url), 'utf8');
    expect(index).not.toMatch(/from '.\/policy\/pack/);
  });
});
