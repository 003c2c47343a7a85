import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { PORTS, type PortRange, publicIngress, type SecurityGroupPurpose, SG_PURPOSE_TAG } from '../ports.ts';
import type { StackContext } from './context.ts';

const ANYWHERE = '0.0.0.0/0';

type Peer = { cidr: string } | { group: aws.ec2.SecurityGroup };

/**
 * Security groups hold no inline rules: every rule is its own resource (one per port and peer),
 * which is what the wiring tests and policy rules read, and what AWS recommends over inline
 * rules. A group without an ingress resource admits nothing at all.
 */
export function securityGroup(
  ctx: StackContext,
  name: string,
  vpcId: pulumi.Input<string>,
  purpose: SecurityGroupPurpose,
  description: string,
): aws.ec2.SecurityGroup {
  return new aws.ec2.SecurityGroup(
    `sg-${name}`,
    {
      // An explicit name: EC2 refuses group names that start with "sg-", and Pulumi's automatic
      // name would be the logical name `sg-<name>` plus a suffix.
      name: `${ctx.stack}-${name}`,
      vpcId,
      description,
      tags: { Name: `${ctx.stack}-${name}`, [SG_PURPOSE_TAG]: purpose },
    },
    ctx.opts,
  );
}

function peerArgs(peer: Peer) {
  return 'cidr' in peer ? { cidrIpv4: peer.cidr } : { referencedSecurityGroupId: peer.group.id };
}

function portArgs(range: Omit<PortRange, 'purpose'> | 'all') {
  return range === 'all' ? { ipProtocol: '-1' } : { ipProtocol: range.protocol, fromPort: range.fromPort, toPort: range.toPort };
}

export function allowIn(
  ctx: StackContext,
  name: string,
  group: aws.ec2.SecurityGroup,
  range: PortRange,
  from: Peer,
): aws.vpc.SecurityGroupIngressRule {
  return new aws.vpc.SecurityGroupIngressRule(
    `sgr-in-${name}`,
    { securityGroupId: group.id, description: range.purpose, ...portArgs(range), ...peerArgs(from) },
    ctx.opts,
  );
}

export function allowOut(
  ctx: StackContext,
  name: string,
  group: aws.ec2.SecurityGroup,
  range: PortRange | { all: true; purpose: string },
  to: Peer,
): aws.vpc.SecurityGroupEgressRule {
  return new aws.vpc.SecurityGroupEgressRule(
    `sgr-out-${name}`,
    {
      securityGroupId: group.id,
      description: range.purpose,
      ...portArgs('all' in range ? 'all' : range),
      ...peerArgs(to),
    },
    ctx.opts,
  );
}

const tcp = (port: number, purpose: string): PortRange => ({ protocol: 'tcp', fromPort: port, toPort: port, purpose });
const udp = (fromPort: number, toPort: number, purpose: string): PortRange => ({ protocol: 'udp', fromPort, toPort, purpose });

export interface CloudGroups {
  alb: aws.ec2.SecurityGroup;
  cloud: aws.ec2.SecurityGroup;
  database: aws.ec2.SecurityGroup;
  relay: aws.ec2.SecurityGroup;
  llm: aws.ec2.SecurityGroup;
  cloudDesktop: aws.ec2.SecurityGroup;
}

/** HTTPS to the internet: Systems Manager, Secrets Manager, CloudWatch Logs (through NAT), and the product's own calls. */
const httpsOut = tcp(PORTS.https, 'HTTPS out: AWS APIs (SSM, Secrets Manager, Logs) and the documented services');

/** What a WebRTC peer behind NAT sends to the relay: its listeners, and relayed addresses of the other peer. */
function turnClientOut(ctx: StackContext, name: string, group: aws.ec2.SecurityGroup): void {
  const { min, max } = ctx.config.relayPorts;
  allowOut(ctx, `${name}-https`, group, httpsOut, { cidr: ANYWHERE });
  allowOut(ctx, `${name}-turn-udp`, group, udp(PORTS.relay.udp, PORTS.relay.udp, 'TURN over UDP'), { cidr: ANYWHERE });
  allowOut(ctx, `${name}-turn-dtls`, group, udp(PORTS.relay.dtls, PORTS.relay.dtls, 'TURN over DTLS'), { cidr: ANYWHERE });
  allowOut(ctx, `${name}-turn-relayed`, group, udp(min, max, 'relayed addresses of the other peer'), { cidr: ANYWHERE });
}

export function cloudGroups(ctx: StackContext, vpcId: pulumi.Input<string>): CloudGroups {
  const g: CloudGroups = {
    alb: securityGroup(ctx, 'alb', vpcId, 'alb', 'Load balancer: HTTPS/WSS 443 from anywhere, to the cloud and LLM replica'),
    cloud: securityGroup(ctx, 'cloud', vpcId, 'cloud', 'Cloud instances: 443 from the load balancer only'),
    database: securityGroup(ctx, 'database', vpcId, 'database', 'PostgreSQL: 5432 from the cloud instances only'),
    relay: securityGroup(ctx, 'relay', vpcId, 'relay', 'coturn: the documented TURN ports from anywhere'),
    llm: securityGroup(ctx, 'llm', vpcId, 'llm', 'LLM provider replica: 443 from the load balancer only'),
    cloudDesktop: securityGroup(ctx, 'cloud-desktop', vpcId, 'cloud-desktop', 'Cloud desktops: no inbound port'),
  };

  for (const range of publicIngress('alb')) allowIn(ctx, 'alb-https', g.alb, range, { cidr: ANYWHERE });
  allowOut(ctx, 'alb-to-cloud', g.alb, tcp(PORTS.cloudInstance, 'to the cloud instances (TLS)'), { group: g.cloud });
  allowOut(ctx, 'alb-to-llm', g.alb, tcp(PORTS.llmInstance, 'to the LLM replica (TLS)'), { group: g.llm });

  allowIn(ctx, 'cloud-from-alb', g.cloud, tcp(PORTS.cloudInstance, 'HTTPS/WSS from the load balancer'), { group: g.alb });
  allowOut(ctx, 'cloud-https', g.cloud, httpsOut, { cidr: ANYWHERE });
  allowOut(ctx, 'cloud-to-database', g.cloud, tcp(PORTS.postgres, 'PostgreSQL (TLS)'), { group: g.database });

  // the database answers; it starts nothing, so it has no egress rule at all
  allowIn(ctx, 'database-from-cloud', g.database, tcp(PORTS.postgres, 'PostgreSQL from the cloud instances'), {
    group: g.cloud,
  });

  const relayNames = ['tls', 'udp', 'dtls', 'range'];
  publicIngress('relay', ctx.config.relayPorts).forEach((range, i) => {
    allowIn(ctx, `relay-${relayNames[i]}`, g.relay, range, { cidr: ANYWHERE });
  });
  // relayed media goes to whatever address and port the other peer's NAT gave it
  allowOut(ctx, 'relay-relayed', g.relay, udp(1, 65535, 'relayed media to peers'), { cidr: ANYWHERE });
  allowOut(ctx, 'relay-https', g.relay, httpsOut, { cidr: ANYWHERE });

  allowIn(ctx, 'llm-from-alb', g.llm, tcp(PORTS.llmInstance, 'HTTPS from the load balancer'), { group: g.alb });
  allowOut(ctx, 'llm-https', g.llm, httpsOut, { cidr: ANYWHERE });

  turnClientOut(ctx, 'cloud-desktop', g.cloudDesktop);
  return g;
}

export interface SiteGroups {
  desktop: aws.ec2.SecurityGroup;
  neighbour: aws.ec2.SecurityGroup;
}

/** A site's hosts open no inbound port (the gateway listens on 127.0.0.1 only): egress rules only. */
export function siteGroups(ctx: StackContext, site: string, vpcId: pulumi.Input<string>, siteCidr: string): SiteGroups {
  const desktop = securityGroup(ctx, `${site}-desktop`, vpcId, 'desktop', `Site ${site} desktops: no inbound port`);
  const neighbour = securityGroup(ctx, `${site}-neighbour`, vpcId, 'neighbour', `Site ${site} neighbour: no inbound port`);
  turnClientOut(ctx, `${site}-desktop`, desktop);
  allowOut(ctx, `${site}-neighbour-https`, neighbour, httpsOut, { cidr: ANYWHERE });
  // the "other device on your network" probes its own LAN; the desktops' groups answer nothing
  allowOut(ctx, `${site}-neighbour-lan`, neighbour, { all: true, purpose: 'probes of its own LAN' }, { cidr: siteCidr });
  return { desktop, neighbour };
}
