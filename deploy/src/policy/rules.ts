/**
 * The staging stack's security posture as policy rules: plain functions over the resource list
 * (see resources.ts), each returning its violations. The unit tests run them over the mocked
 * program and over deliberately broken resources; pack.ts registers the same functions in a
 * Pulumi PolicyPack for `pulumi preview --policy-pack`.
 *
 * A value a rule cannot see (unknown during a preview) is not reported: the rule judges what
 * is declared. Where a property is left out, AWS's default is assumed only when it is safe.
 */
import { isDocumentedPublicIngress } from '../ports.ts';
import {
  isTrue,
  list,
  ofType,
  type PolicyRule,
  type RuleResource,
  record,
  referenced,
  referrers,
  TYPES,
  type Violation,
} from './resources.ts';

const violation = (rule: string, resource: RuleResource, message: string): Violation => ({
  rule,
  resource: resource.name,
  message: `${resource.name} (${resource.type}): ${message}`,
});

// ---------------------------------------------------------------- ingress

interface Ingress {
  resource: RuleResource;
  /** the SG_PURPOSE_TAG of the group the rule belongs to */
  purpose: string | undefined;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
}

const PUBLIC_CIDRS = ['0.0.0.0/0', '::/0'];

function protocolName(value: unknown): string {
  const p = String(value ?? '').toLowerCase();
  if (p === '-1' || p === 'all') return 'all';
  if (p === '6') return 'tcp';
  if (p === '17') return 'udp';
  return p;
}

function purposeOf(group: RuleResource | undefined): string | undefined {
  const tag = record(group?.inputs.tags)['multiclaw-lab:sg'];
  return typeof tag === 'string' ? tag : undefined;
}

function entry(
  resource: RuleResource,
  purpose: string | undefined,
  raw: { protocol: unknown; fromPort: unknown; toPort: unknown },
  cidrs: unknown[],
): Ingress {
  const protocol = protocolName(raw.protocol);
  const everyPort = protocol === 'all' || raw.fromPort === undefined || raw.toPort === undefined;
  return {
    resource,
    purpose,
    protocol,
    fromPort: everyPort ? 0 : Number(raw.fromPort),
    toPort: everyPort ? 65535 : Number(raw.toPort),
    cidrs: cidrs.filter((c): c is string => typeof c === 'string'),
  };
}

/** Every ingress permission of the stack, whichever way it is declared. */
export function ingressRules(resources: readonly RuleResource[]): Ingress[] {
  const out: Ingress[] = [];
  for (const r of ofType(resources, TYPES.ingressRule)) {
    const group = referenced(resources, r, 'securityGroupId')[0];
    out.push(
      entry(r, purposeOf(group), { protocol: r.inputs.ipProtocol, fromPort: r.inputs.fromPort, toPort: r.inputs.toPort }, [
        r.inputs.cidrIpv4,
        r.inputs.cidrIpv6,
      ]),
    );
  }
  for (const r of ofType(resources, TYPES.securityGroupRule)) {
    if (r.inputs.type !== 'ingress') continue;
    const group = referenced(resources, r, 'securityGroupId')[0];
    out.push(entry(r, purposeOf(group), r.inputs as never, [...list(r.inputs.cidrBlocks), ...list(r.inputs.ipv6CidrBlocks)]));
  }
  for (const r of ofType(resources, TYPES.securityGroup, TYPES.defaultSecurityGroup)) {
    for (const inline of list(r.inputs.ingress).map(record)) {
      out.push(entry(r, purposeOf(r), inline as never, [...list(inline.cidrBlocks), ...list(inline.ipv6CidrBlocks)]));
    }
  }
  return out;
}

export const publicIngressRule: PolicyRule = {
  name: 'public-ingress-only-documented-ports',
  description:
    'Ingress from 0.0.0.0/0 or ::/0 only on the documented public ports: the load balancer 443/tcp; the relay 443/tcp, 3478/udp, 5349/udp and its UDP relay range.',
  check(resources) {
    return ingressRules(resources)
      .filter((i) => i.cidrs.some((c) => PUBLIC_CIDRS.includes(c)))
      .filter(
        (i) => !isDocumentedPublicIngress(i.purpose, { protocol: i.protocol as 'tcp', fromPort: i.fromPort, toPort: i.toPort }),
      )
      .map((i) =>
        violation(
          publicIngressRule.name,
          i.resource,
          `admits ${i.protocol} ${i.fromPort}-${i.toPort} from ${i.cidrs.join(', ')} on a ${i.purpose ?? 'untagged'} security group; only the documented ports may be public`,
        ),
      );
  },
};

// ---------------------------------------------------------------- SSH

export const noSshRule: PolicyRule = {
  name: 'no-ssh',
  description: 'No ingress rule reaches port 22 (from anywhere) and no instance or launch template names a key pair.',
  check(resources) {
    const ports = ingressRules(resources)
      .filter((i) => (i.protocol === 'tcp' || i.protocol === 'all') && i.fromPort <= 22 && i.toPort >= 22)
      .map((i) =>
        violation(noSshRule.name, i.resource, `admits ${i.protocol} ${i.fromPort}-${i.toPort}, which includes SSH (22)`),
      );
    const keys = ofType(resources, TYPES.instance, TYPES.launchTemplate, TYPES.launchConfiguration)
      .filter((r) => r.inputs.keyName !== undefined && r.inputs.keyName !== '')
      .map((r) => violation(noSshRule.name, r, `names key pair ${String(r.inputs.keyName)}; use Systems Manager instead`));
    return [...ports, ...keys];
  },
};

// ---------------------------------------------------------------- database

export const databaseRule: PolicyRule = {
  name: 'database-private-encrypted-tls-only',
  description:
    'Every RDS instance is not publicly accessible (explicitly), has encrypted storage, and uses a parameter group with rds.force_ssl=1.',
  check(resources) {
    const out: Violation[] = [];
    for (const db of ofType(resources, TYPES.rdsInstance)) {
      if (db.inputs.publiclyAccessible !== false)
        out.push(violation(databaseRule.name, db, 'publiclyAccessible must be false (set it explicitly)'));
      if (db.inputs.storageEncrypted !== true) out.push(violation(databaseRule.name, db, 'storageEncrypted must be true'));
      const groups = ofType(referenced(resources, db, 'parameterGroupName'), TYPES.rdsParameterGroup);
      if (groups.length === 0) {
        out.push(
          violation(databaseRule.name, db, 'uses no parameter group of this stack, so TLS is not enforced (rds.force_ssl)'),
        );
        continue;
      }
      for (const group of groups) {
        const forceSsl = list(group.inputs.parameters)
          .map(record)
          .find((p) => p.name === 'rds.force_ssl');
        if (String(forceSsl?.value) !== '1')
          out.push(
            violation(
              databaseRule.name,
              db,
              `parameter group ${group.name} does not set rds.force_ssl=1: clients may connect without TLS`,
            ),
          );
      }
    }
    return out;
  },
};

// ---------------------------------------------------------------- encryption at rest

function hasEncryptionConfig(resources: readonly RuleResource[], bucket: RuleResource): boolean {
  return referrers(resources, bucket, 'bucket', TYPES.bucketEncryption, TYPES.bucketEncryptionV2).some((config) =>
    list(config.inputs.rules)
      .map(record)
      .some((rule) => {
        const algorithm = record(rule.applyServerSideEncryptionByDefault).sseAlgorithm;
        return algorithm === 'aws:kms' || algorithm === 'AES256' || algorithm === 'aws:kms:dsse';
      }),
  );
}

export const encryptionRule: PolicyRule = {
  name: 'encrypted-at-rest',
  description:
    'EBS volumes (instance roots, launch template devices, volumes), RDS, log groups and secrets are encrypted with a customer managed KMS key; every bucket has default encryption.',
  check(resources) {
    const out: Violation[] = [];
    const flag = (r: RuleResource, message: string) => out.push(violation(encryptionRule.name, r, message));
    for (const r of ofType(resources, TYPES.instance)) {
      const root = record(r.inputs.rootBlockDevice);
      if (!isTrue(root.encrypted) || !root.kmsKeyId) flag(r, 'root volume must be encrypted with the stack KMS key');
      for (const device of list(r.inputs.ebsBlockDevices).map(record))
        if (!isTrue(device.encrypted)) flag(r, `EBS device ${String(device.deviceName)} is not encrypted`);
    }
    for (const r of ofType(resources, TYPES.launchTemplate)) {
      const devices = list(r.inputs.blockDeviceMappings).map(record);
      if (devices.length === 0) flag(r, "declares no block device, so the AMI's unencrypted default would apply");
      for (const device of devices) {
        const ebs = record(device.ebs);
        if (!isTrue(ebs.encrypted) || !ebs.kmsKeyId)
          flag(r, `block device ${String(device.deviceName)} must be encrypted with the stack KMS key`);
      }
    }
    for (const r of ofType(resources, TYPES.volume)) if (!isTrue(r.inputs.encrypted)) flag(r, 'EBS volume is not encrypted');
    for (const r of ofType(resources, TYPES.bucket, TYPES.bucketV2))
      if (!hasEncryptionConfig(resources, r)) flag(r, 'bucket has no default encryption configuration');
    for (const r of ofType(resources, TYPES.logGroup))
      if (!r.inputs.kmsKeyId) flag(r, 'log group is not encrypted with a KMS key');
    for (const r of ofType(resources, TYPES.rdsInstance, TYPES.rdsCluster))
      if (r.inputs.storageEncrypted !== true || !r.inputs.kmsKeyId)
        flag(r, 'database storage must be encrypted with the stack KMS key');
    for (const r of ofType(resources, TYPES.secret))
      if (!r.inputs.kmsKeyId) flag(r, 'secret uses the AWS managed key; encrypt it with the stack KMS key');
    return out;
  },
};

// ---------------------------------------------------------------- IMDSv2

export const imdsV2Rule: PolicyRule = {
  name: 'imdsv2-required',
  description: 'Every instance and launch template requires IMDSv2 session tokens (httpTokens=required), hop limit at most 2.',
  check(resources) {
    const out: Violation[] = [];
    for (const r of ofType(resources, TYPES.instance, TYPES.launchTemplate)) {
      const options = record(r.inputs.metadataOptions);
      if (options.httpTokens !== 'required')
        out.push(
          violation(
            imdsV2Rule.name,
            r,
            `metadataOptions.httpTokens is ${String(options.httpTokens)}, not "required" (IMDSv1 allowed)`,
          ),
        );
      const hops = options.httpPutResponseHopLimit;
      if (hops !== undefined && Number(hops) > 2)
        out.push(
          violation(imdsV2Rule.name, r, `metadata hop limit ${String(hops)} lets containers reach the instance's credentials`),
        );
    }
    return out;
  },
};

// ---------------------------------------------------------------- flow logs

export const flowLogsRule: PolicyRule = {
  name: 'flow-logs-on-every-vpc',
  description: 'Every VPC has a flow log of ALL traffic.',
  check(resources) {
    return ofType(resources, TYPES.vpc)
      .filter((vpc) => !referrers(resources, vpc, 'vpcId', TYPES.flowLog).some((f) => f.inputs.trafficType === 'ALL'))
      .map((vpc) => violation(flowLogsRule.name, vpc, 'has no flow log of ALL traffic'));
  },
};

// ---------------------------------------------------------------- buckets

const BLOCKS = ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'] as const;

export const bucketPublicAccessRule: PolicyRule = {
  name: 'bucket-public-access-blocked',
  description: 'Every bucket has a public access block with all four settings on.',
  check(resources) {
    return ofType(resources, TYPES.bucket, TYPES.bucketV2)
      .filter(
        (bucket) =>
          !referrers(resources, bucket, 'bucket', TYPES.publicAccessBlock).some((block) =>
            BLOCKS.every((flag) => block.inputs[flag] === true),
          ),
      )
      .map((bucket) =>
        violation(bucketPublicAccessRule.name, bucket, `needs a public access block with ${BLOCKS.join(', ')} all true`),
      );
  },
};

// ---------------------------------------------------------------- IAM

/** AWS managed policies that grant administration (of everything, or of IAM itself). */
export const ADMIN_MANAGED_POLICIES = ['AdministratorAccess', 'PowerUserAccess', 'IAMFullAccess'];

function statements(document: unknown): Record<string, unknown>[] {
  let parsed = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch {
      return [];
    }
  }
  return list(record(parsed).Statement).map(record);
}

function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return regex.test(action);
}

function documentsOf(r: RuleResource): unknown[] {
  if (r.type === TYPES.iamRole) return list(r.inputs.inlinePolicies).map((p) => record(p).policy);
  return [r.inputs.policy];
}

function managedPolicyArns(r: RuleResource): string[] {
  const arns = r.type === TYPES.iamRole ? list(r.inputs.managedPolicyArns) : [r.inputs.policyArn];
  return arns.filter((a): a is string => typeof a === 'string');
}

export const iamLeastPrivilegeRule: PolicyRule = {
  name: 'iam-least-privilege',
  description:
    'No IAM policy allows "*" actions on "*" resources, iam:PassRole on "*", or Allow with NotAction; no administrator managed policy is attached.',
  check(resources) {
    const out: Violation[] = [];
    const documents = ofType(
      resources,
      TYPES.iamPolicy,
      TYPES.iamRolePolicy,
      TYPES.iamUserPolicy,
      TYPES.iamGroupPolicy,
      TYPES.iamRole,
    );
    for (const r of documents) {
      for (const statement of documentsOf(r).flatMap(statements)) {
        if (statement.Effect !== 'Allow') continue;
        if (statement.NotAction !== undefined) {
          out.push(violation(iamLeastPrivilegeRule.name, r, 'an Allow statement uses NotAction: it grants everything else'));
          continue;
        }
        const actions = list(statement.Action).map(String);
        const anyResource = list(statement.Resource).some((x) => x === '*');
        if (!anyResource) continue;
        if (actions.includes('*'))
          out.push(violation(iamLeastPrivilegeRule.name, r, 'allows every action ("*") on every resource ("*")'));
        else if (actions.some((a) => actionMatches(a, 'iam:PassRole')))
          out.push(violation(iamLeastPrivilegeRule.name, r, 'allows iam:PassRole on every resource ("*")'));
      }
    }
    const attachments = ofType(
      resources,
      TYPES.iamRole,
      TYPES.iamRolePolicyAttachment,
      TYPES.iamUserPolicyAttachment,
      TYPES.iamGroupPolicyAttachment,
      TYPES.iamPolicyAttachment,
    );
    for (const r of attachments) {
      for (const arn of managedPolicyArns(r)) {
        const admin = ADMIN_MANAGED_POLICIES.find((name) => arn.endsWith(`/${name}`));
        if (admin) out.push(violation(iamLeastPrivilegeRule.name, r, `attaches the administrator policy ${admin}`));
      }
    }
    return out;
  },
};

/** Every rule, in the order the README lists them. */
export const POLICY_RULES: readonly PolicyRule[] = [
  publicIngressRule,
  noSshRule,
  databaseRule,
  encryptionRule,
  imdsV2Rule,
  flowLogsRule,
  bucketPublicAccessRule,
  iamLeastPrivilegeRule,
];

export function checkAll(resources: readonly RuleResource[]): Violation[] {
  return POLICY_RULES.flatMap((rule) => rule.check(resources));
}
