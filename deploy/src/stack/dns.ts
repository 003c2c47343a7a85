import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.ts';

export interface PublicNames {
  api: string;
  turn: string;
  cdn: string;
  llm: string;
}

export function publicNames(ctx: StackContext): PublicNames {
  const { domain, llmDomain } = ctx.config;
  return { api: `api.${domain}`, turn: `turn.${domain}`, cdn: `cdn.${domain}`, llm: `api.${llmDomain}` };
}

/**
 * The lab's names as Route 53 private hosted zones associated with every VPC, so instances
 * resolve `api.multiclaw.test` and friends exactly as hosts of the local lab do. The answers
 * are public addresses (load balancer, relay Elastic IP, CloudFront): traffic from a site
 * leaves through its NAT gateway and crosses the internet, as it does from a real office.
 */
export function privateZones(
  ctx: StackContext,
  args: {
    names: PublicNames;
    vpcs: aws.ec2.Vpc[];
    alb: aws.lb.LoadBalancer;
    relayAddress: pulumi.Output<string>;
    distribution: aws.cloudfront.Distribution;
  },
): aws.route53.Zone[] {
  const vpcs = args.vpcs.map((vpc) => ({ vpcId: vpc.id, vpcRegion: ctx.config.region }));
  const zone = (name: string, domain: string) =>
    new aws.route53.Zone(
      `zone-${name}`,
      { name: domain, comment: `multiclaw-lab ${ctx.stack}: the lab's names`, vpcs, forceDestroy: true },
      ctx.opts,
    );
  const main = zone('main', ctx.config.domain);
  const llm = zone('llm', ctx.config.llmDomain);
  const albAlias = { name: args.alb.dnsName, zoneId: args.alb.zoneId, evaluateTargetHealth: false };
  new aws.route53.Record('dns-api', { zoneId: main.zoneId, name: args.names.api, type: 'A', aliases: [albAlias] }, ctx.opts);
  new aws.route53.Record('dns-llm', { zoneId: llm.zoneId, name: args.names.llm, type: 'A', aliases: [albAlias] }, ctx.opts);
  new aws.route53.Record(
    'dns-turn',
    { zoneId: main.zoneId, name: args.names.turn, type: 'A', ttl: 60, records: [args.relayAddress] },
    ctx.opts,
  );
  // A CNAME, not an alias: Route 53 does not create alias records to a CloudFront distribution
  // in a private hosted zone (Route 53 API reference, AliasTarget).
  new aws.route53.Record(
    'dns-cdn',
    { zoneId: main.zoneId, name: args.names.cdn, type: 'CNAME', ttl: 300, records: [args.distribution.domainName] },
    ctx.opts,
  );
  return [main, llm];
}
