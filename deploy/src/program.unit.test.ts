/**
 * The whole staging program under Pulumi mocks (no CLI, no engine, no AWS): the resource graph
 * for the default configuration and for two sites, who may reach whom, tags, the address plan,
 * what each instance is handed, and the outputs against the contract the aws driver reads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cidrInside, cidrsOverlap } from './address-plan.ts';
import { HOST_TAG, ROLE_TAG, SITE_TAG, STACK_TAG, stackOutputsSchema } from './outputs.ts';
import { PORTS, SG_PURPOSE_TAG } from './ports.ts';
import { decodeUserData } from './stack/instances.ts';
import { TEST_SECRETS } from './testing/fixtures.ts';
import type { MockCloud, RecordedResource } from './testing/mock-cloud.ts';
import { type MockedRun, runMockedProgram } from './testing/run-program.ts';

let base: MockedRun;
let twoSites: MockedRun;

beforeAll(async () => {
  base = await runMockedProgram();
  twoSites = await runMockedProgram({ sites: 2, desktopsPerSite: 2 });
});

function counts(mocks: MockCloud): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of mocks.resources) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

const T = {
  instance: 'aws:ec2/instance:Instance',
  sg: 'aws:ec2/securityGroup:SecurityGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egress: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  vpc: 'aws:ec2/vpc:Vpc',
  subnet: 'aws:ec2/subnet:Subnet',
};

/** The ingress rules of a security group, as "protocol from-to <- source" lines (source: cidr or sg name). */
function ingressOf(mocks: MockCloud, groupName: string): string[] {
  const group = mocks.byName(groupName);
  const nameById = new Map(mocks.resources.map((r) => [r.id, r.name]));
  return mocks
    .ofType(T.ingress)
    .filter((r) => r.inputs.securityGroupId === group.id)
    .map((r) => {
      const source = (r.inputs.cidrIpv4 as string) ?? nameById.get(r.inputs.referencedSecurityGroupId as string);
      return `${r.inputs.ipProtocol} ${r.inputs.fromPort}-${r.inputs.toPort} <- ${source}`;
    })
    .sort();
}

function egressOf(mocks: MockCloud, groupName: string): string[] {
  const group = mocks.byName(groupName);
  return mocks
    .ofType(T.egress)
    .filter((r) => r.inputs.securityGroupId === group.id)
    .map((r) => `${r.inputs.ipProtocol} ${r.inputs.fromPort ?? '*'}-${r.inputs.toPort ?? '*'}`);
}

function userDataOf(r: RecordedResource): string {
  return decodeUserData((r.inputs.userDataBase64 ?? r.inputs.userData) as string);
}

describe('resource graph', () => {
  it('has, for the default configuration, exactly these resources per type', () => {
    expect(counts(base.mocks)).toEqual({
      'pulumi:providers:aws': 1,
      'aws:kms/key:Key': 1,
      'aws:kms/alias:Alias': 1,
      'aws:cloudwatch/logGroup:LogGroup': 2,
      'aws:iam/role:Role': 7,
      'aws:iam/rolePolicy:RolePolicy': 7,
      'aws:iam/rolePolicyAttachment:RolePolicyAttachment': 6,
      'aws:iam/instanceProfile:InstanceProfile': 6,
      'aws:ec2/vpc:Vpc': 2,
      'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup': 2,
      'aws:ec2/flowLog:FlowLog': 2,
      'aws:ec2/internetGateway:InternetGateway': 2,
      'aws:ec2/subnet:Subnet': 6,
      'aws:ec2/routeTable:RouteTable': 4,
      'aws:ec2/routeTableAssociation:RouteTableAssociation': 6,
      'aws:ec2/eip:Eip': 3,
      'aws:ec2/natGateway:NatGateway': 2,
      'aws:ec2/vpcEndpoint:VpcEndpoint': 2,
      'aws:ec2/securityGroup:SecurityGroup': 8,
      'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule': 8,
      'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule': 17,
      'aws:s3/bucket:Bucket': 3,
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': 3,
      'aws:s3/bucketOwnershipControls:BucketOwnershipControls': 3,
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': 3,
      'aws:s3/bucketPolicy:BucketPolicy': 3,
      'aws:s3/bucketObjectv2:BucketObjectv2': 2,
      'aws:secretsmanager/secret:Secret': 8,
      'aws:secretsmanager/secretVersion:SecretVersion': 8,
      'aws:rds/subnetGroup:SubnetGroup': 1,
      'aws:rds/parameterGroup:ParameterGroup': 1,
      'aws:rds/instance:Instance': 1,
      'aws:acm/certificate:Certificate': 2,
      'aws:lb/loadBalancer:LoadBalancer': 1,
      'aws:lb/targetGroup:TargetGroup': 2,
      'aws:lb/listener:Listener': 1,
      'aws:lb/listenerCertificate:ListenerCertificate': 1,
      'aws:lb/listenerRule:ListenerRule': 1,
      'aws:lb/targetGroupAttachment:TargetGroupAttachment': 1,
      'aws:ec2/launchTemplate:LaunchTemplate': 1,
      'aws:autoscaling/group:Group': 1,
      'aws:ec2/instance:Instance': 5,
      'aws:ec2/networkInterface:NetworkInterface': 1,
      'aws:cloudfront/originAccessControl:OriginAccessControl': 1,
      'aws:cloudfront/distribution:Distribution': 1,
      'aws:route53/zone:Zone': 2,
      'aws:route53/record:Record': 4,
    });
  });

  it('adds a VPC, NAT gateway, flow log and hosts per site (two sites with two desktops each)', () => {
    const one = counts(base.mocks);
    const two = counts(twoSites.mocks);
    const delta = (type: string) => (two[type] ?? 0) - (one[type] ?? 0);
    expect(delta(T.vpc)).toBe(1);
    expect(delta('aws:ec2/natGateway:NatGateway')).toBe(1);
    expect(delta('aws:ec2/flowLog:FlowLog')).toBe(1);
    expect(delta(T.subnet)).toBe(2);
    expect(delta(T.sg)).toBe(2);
    expect(delta(T.ingress)).toBe(0);
    // s1: one more desktop; s2: two desktops and a neighbour
    expect(delta(T.instance)).toBe(4);
    // still one role per instance role: the desktops of every site share theirs
    expect(delta('aws:iam/role:Role')).toBe(0);
    expect(two[T.instance]).toBe(9);
  });

  it('gives every resource a name of its own (the policy pack finds resources by name)', () => {
    for (const run of [base, twoSites]) {
      const names = run.mocks.resources.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });
});

describe('who may reach whom', () => {
  it('the database admits 5432 from the cloud instances only, and starts nothing', () => {
    expect(ingressOf(base.mocks, 'sg-database')).toEqual([`tcp ${PORTS.postgres}-${PORTS.postgres} <- sg-cloud`]);
    expect(egressOf(base.mocks, 'sg-database')).toEqual([]);
  });

  it('the cloud instances and the LLM replica admit 443 from the load balancer only', () => {
    expect(ingressOf(base.mocks, 'sg-cloud')).toEqual(['tcp 443-443 <- sg-alb']);
    expect(ingressOf(base.mocks, 'sg-llm')).toEqual(['tcp 443-443 <- sg-alb']);
  });

  it('the load balancer admits 443 from anywhere and nothing else (no port 80)', () => {
    expect(ingressOf(base.mocks, 'sg-alb')).toEqual(['tcp 443-443 <- 0.0.0.0/0']);
    const listeners = base.mocks.ofType('aws:lb/listener:Listener');
    expect(listeners.map((l) => [l.inputs.port, l.inputs.protocol, l.inputs.sslPolicy])).toEqual([
      [443, 'HTTPS', 'ELBSecurityPolicy-TLS13-1-2-2021-06'],
    ]);
  });

  it('the relay admits exactly the documented TURN ports from anywhere', () => {
    expect(ingressOf(base.mocks, 'sg-relay')).toEqual(
      [
        'tcp 443-443 <- 0.0.0.0/0',
        'udp 3478-3478 <- 0.0.0.0/0',
        'udp 49152-65535 <- 0.0.0.0/0',
        'udp 5349-5349 <- 0.0.0.0/0',
      ].sort(),
    );
  });

  it('sites and cloud desktops open no inbound port at all', () => {
    for (const run of [base, twoSites]) {
      const groups = run.mocks
        .ofType(T.sg)
        .filter((g) =>
          ['desktop', 'neighbour', 'cloud-desktop'].includes((g.inputs.tags as Record<string, string>)[SG_PURPOSE_TAG]!),
        );
      expect(groups.length).toBe(run === base ? 3 : 5);
      for (const g of groups) {
        expect(ingressOf(run.mocks, g.name)).toEqual([]);
        expect(g.inputs.ingress ?? []).toEqual([]);
      }
    }
  });

  it('no security group carries inline rules and every VPC default group is emptied', () => {
    for (const g of base.mocks.ofType(T.sg)) expect(g.inputs.ingress ?? []).toEqual([]);
    for (const d of base.mocks.ofType('aws:ec2/defaultSecurityGroup:DefaultSecurityGroup')) {
      expect(d.inputs.ingress).toEqual([]);
      expect(d.inputs.egress).toEqual([]);
    }
  });
});

describe('load balancer, database, instances', () => {
  it('forwards to an HTTPS target group with /healthz, no stickiness, a WebSocket-friendly idle timeout', () => {
    const alb = base.mocks.byName('alb');
    expect(alb.inputs).toMatchObject({ internal: false, loadBalancerType: 'application' });
    expect(alb.inputs.idleTimeout as number).toBeGreaterThanOrEqual(3600);
    const cloud = base.mocks.byName('tg-cloud');
    expect(cloud.inputs).toMatchObject({ protocol: 'HTTPS', port: 443, stickiness: { enabled: false } });
    expect(cloud.inputs.healthCheck).toMatchObject({ protocol: 'HTTPS', path: '/healthz' });
  });

  it('imports the lab-CA leaf certificates into ACM (chain = the lab CA)', () => {
    for (const cert of base.mocks.ofType('aws:acm/certificate:Certificate')) {
      expect(cert.inputs.certificateChain).toContain('TEST-CA');
      // a Pulumi secret: kept encrypted in state
      expect(JSON.stringify(cert.inputs.privateKey)).toMatch(/canary-(api|llm)-key/);
    }
  });

  it('keeps PostgreSQL private, encrypted, TLS-only, with an RDS-managed password', () => {
    const db = base.mocks.byName('db-postgres');
    expect(db.inputs).toMatchObject({
      engine: 'postgres',
      engineVersion: '16',
      publiclyAccessible: false,
      storageEncrypted: true,
      manageMasterUserPassword: true,
    });
    expect(db.inputs.password).toBeUndefined();
    const params = base.mocks.byName('db-parameters').inputs.parameters as { name: string; value: string }[];
    expect(params).toContainEqual({ name: 'rds.force_ssl', value: '1' });
  });

  it('runs the cloud in an auto scaling group in the private subnets, sized by the config', () => {
    const asg = base.mocks.byName('asg-cloud');
    expect(asg.inputs).toMatchObject({ minSize: 1, desiredCapacity: 1, maxSize: 2 });
    const privateIds = ['subnet-cloud-private-0', 'subnet-cloud-private-1'].map((n) => base.mocks.byName(n).id);
    expect(asg.inputs.vpcZoneIdentifiers).toEqual(privateIds);
  });

  it('puts only the relay in a public subnet, behind an Elastic IP', () => {
    const publicIds = base.mocks
      .ofType(T.subnet)
      .filter((s) => s.name.includes('-public-'))
      .map((s) => s.id);
    const exposed = base.mocks.ofType(T.instance).filter((i) => publicIds.includes(i.inputs.subnetId as string));
    expect(exposed).toEqual([]);
    // the relay's own interface is in a public subnet, and the Elastic IP belongs to it from the start
    const eni = base.mocks.byName('eni-relay');
    expect(publicIds).toContain(eni.inputs.subnetId);
    expect(eni.inputs.securityGroups).toEqual([base.mocks.byName('sg-relay').id]);
    expect(base.mocks.byName('host-relay').inputs.primaryNetworkInterface).toEqual({ networkInterfaceId: eni.id });
    expect(base.mocks.byName('eip-relay').inputs.networkInterface).toBe(eni.id);
    const interfaces = base.mocks.ofType('aws:ec2/networkInterface:NetworkInterface');
    expect(interfaces.map((i) => i.name)).toEqual(['eni-relay']);
  });

  it('tags every instance with its lab host, role and (for sites) site, and the provider tags everything with the stack', () => {
    const provider = twoSites.mocks.ofType('pulumi:providers:aws')[0]!;
    expect(JSON.parse(provider.inputs.defaultTags as string)).toMatchObject({ tags: { [STACK_TAG]: 'test' } });
    const tags = twoSites.mocks.ofType(T.instance).map((i) => i.inputs.tags as Record<string, string>);
    expect(tags.map((t) => t[HOST_TAG]).sort()).toEqual([
      'cd1',
      'llm',
      'relay',
      's1-d1',
      's1-d2',
      's1-nb',
      's2-d1',
      's2-d2',
      's2-nb',
    ]);
    for (const t of tags) {
      expect(t[STACK_TAG]).toBe('test');
      expect(t[ROLE_TAG]).toBeTruthy();
      expect(t[SITE_TAG] !== undefined).toBe(t[HOST_TAG]!.startsWith('s'));
    }
    const template = twoSites.mocks.byName('lt-cloud').inputs.tagSpecifications as {
      resourceType: string;
      tags: Record<string, string>;
    }[];
    expect(template.map((s) => s.resourceType)).toEqual(['instance', 'volume', 'network-interface']);
    for (const s of template) expect(s.tags).toMatchObject({ [HOST_TAG]: 'cloud', [ROLE_TAG]: 'cloud', [STACK_TAG]: 'test' });
  });

  it('keeps every VPC inside 198.18.0.0/16 (not 198.19.0.0/16, which AWS treats apart), disjoint', () => {
    const vpcs = twoSites.mocks.ofType(T.vpc).map((v) => v.inputs.cidrBlock as string);
    for (const cidr of vpcs) expect(cidrInside(cidr, '198.18.0.0/16')).toBe(true);
    for (let i = 0; i < vpcs.length; i++)
      for (let j = i + 1; j < vpcs.length; j++) expect(cidrsOverlap(vpcs[i]!, vpcs[j]!)).toBe(false);
    for (const subnet of twoSites.mocks.ofType(T.subnet)) {
      const vpc = twoSites.mocks.ofType(T.vpc).find((v) => v.id === subnet.inputs.vpcId)!;
      expect(cidrInside(subnet.inputs.cidrBlock as string, vpc.inputs.cidrBlock as string)).toBe(true);
    }
  });

  it('associates both private zones with every VPC', () => {
    const vpcIds = twoSites.mocks
      .ofType(T.vpc)
      .map((v) => v.id)
      .sort();
    for (const zone of twoSites.mocks.ofType('aws:route53/zone:Zone'))
      expect((zone.inputs.vpcs as { vpcId: string }[]).map((v) => v.vpcId).sort()).toEqual(vpcIds);
  });
});

describe('what each instance is handed', () => {
  function rolePolicy(role: string): { Sid: string; Action: string | string[]; Resource: string | string[] }[] {
    return JSON.parse(base.mocks.byName(`policy-${role}`).inputs.policy as string).Statement;
  }
  const secretArn = (name: string) => base.mocks.byName(`secret-${name}`).state.arn as string;

  it('lets each role read exactly its own secrets', () => {
    const readable = (role: string) => rolePolicy(role).find((s) => s.Sid === 'ReadOwnSecrets')?.Resource ?? [];
    const rdsSecret = (base.mocks.byName('db-postgres').state.masterUserSecrets as { secretArn: string }[])[0]!.secretArn;
    expect(readable('cloud')).toEqual([
      secretArn('token-signing-key'),
      secretArn('master-key'),
      secretArn('turn-shared-secret'),
      rdsSecret,
    ]);
    expect(readable('relay')).toEqual([secretArn('tls-turn-cert'), secretArn('tls-turn-key'), secretArn('turn-shared-secret')]);
    expect(readable('llm')).toEqual([secretArn('tls-llm-cert'), secretArn('tls-llm-key')]);
    expect(readable('desktop')).toEqual([secretArn('ca-certificate')]);
    expect(readable('neighbour')).toEqual([]);
  });

  it('decrypts with the stack key only through Secrets Manager and S3', () => {
    const decrypt = rolePolicy('cloud').find((s) => s.Sid === 'DecryptThroughSecretsManagerAndS3Only') as unknown as {
      Resource: string;
      Condition: { StringEquals: Record<string, string[]> };
    };
    expect(decrypt.Resource).toBe(base.mocks.byName('kms-stack').state.arn);
    expect(decrypt.Condition.StringEquals['kms:ViaService']).toEqual([
      'secretsmanager.eu-west-1.amazonaws.com',
      's3.eu-west-1.amazonaws.com',
    ]);
  });

  it('renders a start-up script per host that names secrets by ARN and never holds a secret value', () => {
    const scripts = [...base.mocks.ofType(T.instance).map(userDataOf), userDataOf(base.mocks.byName('lt-cloud'))];
    expect(scripts).toHaveLength(6);
    for (const script of scripts) {
      expect(script.startsWith('#!/bin/sh')).toBe(true);
      for (const value of Object.values(TEST_SECRETS)) expect(script).not.toContain(String(value).split('\n')[1]);
    }
    expect(userDataOf(base.mocks.byName('lt-cloud'))).toContain('rds!db-postgres');
  });
});

describe('outputs', () => {
  it('match the StackOutputs contract the aws driver reads', () => {
    for (const run of [base, twoSites]) expect(stackOutputsSchema.safeParse(run.outputs).error).toBeUndefined();
    const outputs = stackOutputsSchema.parse(twoSites.outputs);
    expect(outputs.names).toEqual({
      api: 'api.multiclaw.test',
      turn: 'turn.multiclaw.test',
      cdn: 'cdn.multiclaw.test',
      llm: 'api.llm.test',
    });
    expect(outputs.sites.map((s) => [s.id, s.desktops, s.neighbour])).toEqual([
      ['s1', ['s1-d1', 's1-d2'], 's1-nb'],
      ['s2', ['s2-d1', 's2-d2'], 's2-nb'],
    ]);
    expect(outputs.endpoints.turnAddress).toBe(twoSites.mocks.byName('eip-relay').state.publicIp);
    expect(outputs.commandOutputBucket).toBe(twoSites.mocks.byName('bucket-command-output').state.bucket);
  });
});
