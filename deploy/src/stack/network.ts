import * as aws from '@pulumi/aws';
import type { StackContext } from './context.ts';

export interface NetworkSpec {
  /** short name used in every resource name: `cloud`, `s1`, … */
  name: string;
  cidr: string;
  /** one entry per zone used; a site uses one zone, the cloud two */
  zones: { zone: string; publicCidr: string; privateCidr: string }[];
  /** NAT gateways: one in the first public subnet, or one per zone */
  natPerZone: boolean;
}

export interface Network {
  vpc: aws.ec2.Vpc;
  publicSubnets: aws.ec2.Subnet[];
  privateSubnets: aws.ec2.Subnet[];
  natGateways: aws.ec2.NatGateway[];
  /** public addresses of the NAT gateways: what the internet sees of this VPC's private hosts */
  natAddresses: aws.ec2.Eip[];
}

export interface FlowLogTarget {
  logGroup: aws.cloudwatch.LogGroup;
  role: aws.iam.Role;
}

/**
 * One VPC as the lab needs it: public subnets (internet gateway route) and private subnets whose
 * only way out is a NAT gateway; the default security group stripped of its rules; flow logs
 * of all traffic; an S3 gateway endpoint so artifact downloads and command output stay off the
 * NAT gateway (it costs nothing). No other endpoints: Systems Manager and Secrets Manager are
 * reached through the NAT gateway every private subnet needs anyway.
 */
export function network(ctx: StackContext, spec: NetworkSpec, flowLogs: FlowLogTarget): Network {
  const n = spec.name;
  const vpc = new aws.ec2.Vpc(
    `vpc-${n}`,
    { cidrBlock: spec.cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: `${ctx.stack}-${n}` } },
    ctx.opts,
  );
  // A VPC's default security group admits everything from itself; nothing here uses it, so it
  // is emptied rather than left as a trap for whatever is launched without a group.
  new aws.ec2.DefaultSecurityGroup(`sg-default-${n}`, { vpcId: vpc.id, ingress: [], egress: [] }, ctx.opts);
  new aws.ec2.FlowLog(
    `flowlog-${n}`,
    {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: flowLogs.logGroup.arn,
      iamRoleArn: flowLogs.role.arn,
      maxAggregationInterval: 60,
    },
    ctx.opts,
  );
  const igw = new aws.ec2.InternetGateway(`igw-${n}`, { vpcId: vpc.id }, ctx.opts);

  const publicRoutes = new aws.ec2.RouteTable(
    `rt-${n}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }] },
    ctx.opts,
  );
  // nothing gets a public address by accident: the relay's Elastic IP is on its own interface, the rest have none
  const subnet = (kind: 'public' | 'private', i: number, cidrBlock: string, zone: string, routes: aws.ec2.RouteTable) => {
    const made = new aws.ec2.Subnet(
      `subnet-${n}-${kind}-${i}`,
      {
        vpcId: vpc.id,
        cidrBlock,
        availabilityZone: zone,
        mapPublicIpOnLaunch: false,
        tags: { Name: `${ctx.stack}-${n}-${kind}-${i}` },
      },
      ctx.opts,
    );
    new aws.ec2.RouteTableAssociation(`rta-${n}-${kind}-${i}`, { subnetId: made.id, routeTableId: routes.id }, ctx.opts);
    return made;
  };
  const publicSubnets = spec.zones.map((z, i) => subnet('public', i, z.publicCidr, z.zone, publicRoutes));

  const natCount = spec.natPerZone ? spec.zones.length : 1;
  const natAddresses: aws.ec2.Eip[] = [];
  const natGateways: aws.ec2.NatGateway[] = [];
  for (let i = 0; i < natCount; i++) {
    const eip = new aws.ec2.Eip(`eip-${n}-nat-${i}`, { domain: 'vpc', tags: { Name: `${ctx.stack}-${n}-nat-${i}` } }, ctx.opts);
    natAddresses.push(eip);
    natGateways.push(
      new aws.ec2.NatGateway(
        `nat-${n}-${i}`,
        { allocationId: eip.id, subnetId: publicSubnets[i]!.id, tags: { Name: `${ctx.stack}-${n}-${i}` } },
        { ...ctx.opts, dependsOn: [igw] },
      ),
    );
  }
  const privateRoutes = natGateways.map(
    (nat, i) =>
      new aws.ec2.RouteTable(
        `rt-${n}-private-${i}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }] },
        ctx.opts,
      ),
  );
  const privateSubnets = spec.zones.map((z, i) =>
    subnet('private', i, z.privateCidr, z.zone, privateRoutes[Math.min(i, privateRoutes.length - 1)]!),
  );
  new aws.ec2.VpcEndpoint(
    `vpce-${n}-s3`,
    {
      vpcId: vpc.id,
      vpcEndpointType: 'Gateway',
      serviceName: `com.amazonaws.${ctx.config.region}.s3`,
      routeTableIds: privateRoutes.map((rt) => rt.id),
    },
    ctx.opts,
  );
  return { vpc, publicSubnets, privateSubnets, natGateways, natAddresses };
}
