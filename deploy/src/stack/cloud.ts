import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { PORTS } from '../ports.ts';
import { hostTags, type StackContext } from './context.ts';
import { METADATA_OPTIONS, ROOT_VOLUME_GB } from './instances.ts';

/**
 * TLS 1.3 preferred, TLS 1.2 the floor, as the help centre promises for every external
 * connection ("TLS 1.2 minimum, TLS 1.3 preferred").
 */
export const ALB_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/**
 * An idle WebSocket is closed by the load balancer after this long. The product's heartbeats
 * (seconds apart) keep sessions busy; the long timeout only keeps the load balancer from being
 * the reason a quiet session drops, so what a scenario measures is the product's behaviour.
 */
export const ALB_IDLE_TIMEOUT_SECONDS = 3600;

/** The lab-CA-issued leaf, imported into ACM: clients that trust the lab CA accept the load balancer as they accept the local cloud. */
export function importedCertificate(
  ctx: StackContext,
  name: string,
  certificate: string,
  privateKey: pulumi.Input<string>,
): aws.acm.Certificate {
  return new aws.acm.Certificate(
    `cert-${name}`,
    { certificateBody: certificate, privateKey, certificateChain: ctx.config.tls.caCertificate },
    ctx.opts,
  );
}

export interface LoadBalancer {
  alb: aws.lb.LoadBalancer;
  listener: aws.lb.Listener;
  cloudTargets: aws.lb.TargetGroup;
  llmTargets: aws.lb.TargetGroup;
}

/**
 * Internet-facing load balancer on 443 only (there is no port 80 listener and no port 80 rule):
 * `api.<domain>` goes to the cloud's auto scaling group, `api.<llmDomain>` to the LLM replica,
 * each with its own imported certificate (SNI). It re-encrypts to the targets, which serve TLS
 * themselves as in the local lab. WebSockets pass through an HTTPS listener as they are.
 */
export function loadBalancer(
  ctx: StackContext,
  args: {
    vpc: aws.ec2.Vpc;
    subnets: aws.ec2.Subnet[];
    group: aws.ec2.SecurityGroup;
    apiCertificate: aws.acm.Certificate;
    llmCertificate: aws.acm.Certificate;
    llmName: string;
  },
): LoadBalancer {
  const alb = new aws.lb.LoadBalancer(
    'alb',
    {
      loadBalancerType: 'application',
      internal: false,
      subnets: args.subnets.map((s) => s.id),
      securityGroups: [args.group.id],
      idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: false,
    },
    ctx.opts,
  );
  const targets = (name: string, healthPath: string, matcher: string) =>
    new aws.lb.TargetGroup(
      `tg-${name}`,
      {
        vpcId: args.vpc.id,
        targetType: 'instance',
        port: PORTS.cloudInstance,
        protocol: 'HTTPS',
        deregistrationDelay: 30,
        // any instance may serve any session: realtime routing between instances goes through PostgreSQL
        stickiness: { type: 'lb_cookie', enabled: false },
        healthCheck: { protocol: 'HTTPS', path: healthPath, matcher, interval: 15, healthyThreshold: 2, unhealthyThreshold: 3 },
      },
      ctx.opts,
    );
  const cloudTargets = targets('cloud', '/healthz', '200');
  // the LLM replica has no health route: any HTTP answer over TLS means it serves
  const llmTargets = targets('llm', '/', '200-499');
  const listener = new aws.lb.Listener(
    'alb-https',
    {
      loadBalancerArn: alb.arn,
      port: PORTS.https,
      protocol: 'HTTPS',
      sslPolicy: ALB_SSL_POLICY,
      certificateArn: args.apiCertificate.arn,
      defaultActions: [{ type: 'forward', targetGroupArn: cloudTargets.arn }],
    },
    ctx.opts,
  );
  new aws.lb.ListenerCertificate(
    'alb-https-llm-cert',
    { listenerArn: listener.arn, certificateArn: args.llmCertificate.arn },
    ctx.opts,
  );
  new aws.lb.ListenerRule(
    'alb-https-llm',
    {
      listenerArn: listener.arn,
      priority: 10,
      conditions: [{ hostHeader: { values: [args.llmName] } }],
      actions: [{ type: 'forward', targetGroupArn: llmTargets.arn }],
    },
    ctx.opts,
  );
  return { alb, listener, cloudTargets, llmTargets };
}

/**
 * The cloud's instances: a launch template (IMDSv2, encrypted volume with the stack key, no
 * key pair, the cloud's instance profile) and an auto scaling group in the private subnets
 * behind the load balancer. Instances are tagged through the template: the provider's default
 * tags do not reach what an auto scaling group launches.
 */
export function cloudFleet(
  ctx: StackContext,
  args: {
    ami: pulumi.Input<string>;
    subnets: aws.ec2.Subnet[];
    group: aws.ec2.SecurityGroup;
    profile: aws.iam.InstanceProfile;
    key: aws.kms.Key;
    userData: pulumi.Output<string>;
    targets: aws.lb.TargetGroup;
  },
): aws.autoscaling.Group {
  const tags = hostTags(ctx.stack, { hostId: 'cloud', role: 'cloud' });
  const template = new aws.ec2.LaunchTemplate(
    'lt-cloud',
    {
      description: 'MultiClaw Cloud instances',
      imageId: args.ami,
      instanceType: ctx.config.instanceTypes.cloud,
      iamInstanceProfile: { arn: args.profile.arn },
      vpcSecurityGroupIds: [args.group.id],
      metadataOptions: { ...METADATA_OPTIONS },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            encrypted: 'true',
            kmsKeyId: args.key.arn,
            volumeType: 'gp3',
            volumeSize: ROOT_VOLUME_GB,
            deleteOnTermination: 'true',
          },
        },
      ],
      userData: args.userData,
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: 'instance', tags },
        { resourceType: 'volume', tags },
        { resourceType: 'network-interface', tags },
      ],
    },
    ctx.opts,
  );
  const { min, desired, max } = ctx.config.cloudInstances;
  return new aws.autoscaling.Group(
    'asg-cloud',
    {
      minSize: min,
      desiredCapacity: desired,
      maxSize: max,
      vpcZoneIdentifiers: args.subnets.map((s) => s.id),
      launchTemplate: { id: template.id, version: template.latestVersion.apply(String) },
      targetGroupArns: [args.targets.arn],
      healthCheckType: 'ELB',
      healthCheckGracePeriod: 300,
      // a new template (new build, new start-up script) rolls the instances, half at a time
      instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 50 } },
      tags: Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
    },
    ctx.opts,
  );
}
