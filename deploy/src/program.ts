/**
 * The AWS staging replica of the lab, as one Pulumi program. `lab deploy` runs it through the
 * Automation API as an inline program:
 *
 *   LocalWorkspace.createOrSelectStack({ stackName, projectName, program: () => stagingProgram() })
 *
 * Tests run it under `pulumi.runtime.setMocks` (program.unit.test.ts); nothing here talks to AWS
 * by itself.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CLOUD_SUBNETS, CLOUD_VPC_CIDR, siteSubnets, siteVpcCidr } from './address-plan.ts';
import { availabilityZones, loadStackConfig, type StackConfig, type StackSecrets } from './config.ts';
import type { StackHost, StackOutputs, StackSite } from './outputs.ts';
import { bucketPolicy, privateBucket } from './stack/buckets.ts';
import { cdn } from './stack/cdn.ts';
import { cloudFleet, importedCertificate, loadBalancer } from './stack/cloud.ts';
import { createContext, type StackContext } from './stack/context.ts';
import { database } from './stack/database.ts';
import { privateZones, publicNames } from './stack/dns.ts';
import { instanceProfile } from './stack/iam.ts';
import { type Artifacts, type HostRuntime, type HostSpec, labInstance, userData } from './stack/instances.ts';
import { flowLogRole, logGroups, stackKey } from './stack/kms.ts';
import { type Network, network } from './stack/network.ts';
import {
  cloudDesktopRuntime,
  cloudRuntime,
  desktopRuntime,
  llmRuntime,
  neighbourRuntime,
  type RuntimeInputs,
  relayRuntime,
  turnUrls,
} from './stack/runtime.ts';
import { stackSecrets } from './stack/secrets.ts';
import { cloudGroups, siteGroups } from './stack/security-groups.ts';

/** The stack's outputs as Pulumi outputs: resolved, they are exactly `StackOutputs`. */
export type StagingOutputs = { [K in keyof StackOutputs]: pulumi.Output<StackOutputs[K]> };

export interface StagingInput {
  config: StackConfig;
  secrets: StackSecrets;
  /** value of STACK_TAG; default: the Pulumi stack's name */
  stack?: string;
}

/**
 * The program. Without an argument (the Automation API's inline program, a PulumiFn) it reads
 * and validates the stack's config; tests hand in their own.
 */
export async function stagingProgram(input?: StagingInput): Promise<StagingOutputs> {
  const { config, secrets } = input ?? loadStackConfig();
  const stack = input?.stack ?? pulumi.getStack();
  const ctx = createContext(config, secrets, stack);
  const provider = ctx.opts.provider as aws.Provider;
  const key = stackKey(ctx);
  const logs = logGroups(ctx, key);
  const flowLogs = { logGroup: logs.flowLogs, role: flowLogRole(ctx, logs.flowLogs) };
  const [zoneA, zoneB] = availabilityZones(config);

  // networks: the cloud over two zones, one VPC per site
  const cloudNet = network(
    ctx,
    {
      name: 'cloud',
      cidr: CLOUD_VPC_CIDR,
      zones: [zoneA, zoneB].map((zone, i) => ({
        zone,
        publicCidr: CLOUD_SUBNETS.public[i]!,
        privateCidr: CLOUD_SUBNETS.private[i]!,
      })),
      natPerZone: config.natGatewayPerAz,
    },
    flowLogs,
  );
  const siteIds = Array.from({ length: config.sites }, (_, i) => `s${i + 1}`);
  const siteNets = siteIds.map((site, i) => {
    const subnets = siteSubnets(i + 1);
    const net = network(
      ctx,
      {
        name: site,
        cidr: siteVpcCidr(i + 1),
        zones: [{ zone: zoneA, publicCidr: subnets.public, privateCidr: subnets.private }],
        natPerZone: false,
      },
      flowLogs,
    );
    return { site, net, groups: siteGroups(ctx, site, net.vpc.id, siteVpcCidr(i + 1)) };
  });
  const groups = cloudGroups(ctx, cloudNet.vpc.id);

  // storage: the build, SSM command output, the secrets, the database
  const artifactsStore = privateBucket(ctx, 'artifacts', { kind: 'kms', key });
  bucketPolicy(ctx, 'artifacts', artifactsStore);
  const commandStore = privateBucket(ctx, 'command-output', { kind: 'kms', key });
  bucketPolicy(ctx, 'command-output', commandStore);
  const artifacts = uploadArtifacts(ctx, artifactsStore.bucket, key);
  const secretSet = stackSecrets(ctx, key);
  const db = database(ctx, key, cloudNet.privateSubnets, groups.database);

  // public faces: relay address, CDN, load balancer with the lab-CA certificates
  // the relay's address belongs to its network interface, made before the instance: the
  // instance has it from its first boot (its start-up script downloads through it and coturn
  // advertises it), where an Elastic IP associated after launch would leave it without one
  const relayInterface = new aws.ec2.NetworkInterface(
    'eni-relay',
    { subnetId: cloudNet.publicSubnets[0]!.id, securityGroups: [groups.relay.id], tags: { Name: `${stack}-relay` } },
    ctx.opts,
  );
  const relayEip = new aws.ec2.Eip(
    'eip-relay',
    { domain: 'vpc', networkInterface: relayInterface.id, tags: { Name: `${stack}-relay` } },
    ctx.opts,
  );
  const names = publicNames(ctx);
  const updates = cdn(ctx, names.cdn);
  const cdnUrl = config.cdnCertificateArn
    ? pulumi.output(`https://${names.cdn}`)
    : pulumi.interpolate`https://${updates.distribution.domainName}`;
  const lb = loadBalancer(ctx, {
    vpc: cloudNet.vpc,
    subnets: cloudNet.publicSubnets,
    group: groups.alb,
    apiCertificate: importedCertificate(ctx, 'api', config.tls.apiCertificate, secrets.apiTlsKey),
    llmCertificate: importedCertificate(ctx, 'llm', config.tls.llmCertificate, secrets.llmTlsKey),
    llmName: names.llm,
  });

  // hosts
  const runtimeInputs: RuntimeInputs = {
    names,
    secrets: secretSet,
    database: { address: db.instance.address, credentialsSecretArn: db.credentialsSecretArn },
    relayAddress: relayEip.publicIp,
    cdnUrl,
  };
  const ami = aws.ssm.getParameterOutput({ name: config.amiParameter }, { provider }).value;
  const host = hostFactory(ctx, { ami, key, artifacts, logGroup: logs.components, commandBucket: commandStore.bucket });

  const cloudHost: HostSpec = { hostId: 'cloud', role: 'cloud' };
  const cloudRun = cloudRuntime(ctx, runtimeInputs);
  const fleet = cloudFleet(ctx, {
    ami,
    subnets: cloudNet.privateSubnets,
    group: groups.cloud,
    profile: host.profile('cloud', cloudRun),
    key,
    userData: userData(ctx, cloudHost, artifacts, cloudRun, logs.components),
    targets: lb.cloudTargets,
  });

  host.instance(
    { hostId: 'relay', role: 'relay' },
    relayRuntime(ctx, runtimeInputs),
    config.instanceTypes.relay,
    cloudNet.publicSubnets[0]!,
    groups.relay,
    relayInterface,
  );

  const llm = host.instance(
    { hostId: 'llm', role: 'llm' },
    llmRuntime(ctx, runtimeInputs),
    config.instanceTypes.llm,
    cloudNet.privateSubnets[0]!,
    groups.llm,
  );
  new aws.lb.TargetGroupAttachment('tg-llm-host', { targetGroupArn: lb.llmTargets.arn, targetId: llm.id }, ctx.opts);

  const hosts: StackHost[] = [
    { id: 'cloud', role: 'cloud' },
    { id: 'relay', role: 'relay' },
    { id: 'llm', role: 'llm' },
  ];
  for (let d = 1; d <= config.cloudDesktops; d++) {
    const spec: HostSpec = { hostId: `cd${d}`, role: 'cloud-desktop' };
    host.instance(
      spec,
      cloudDesktopRuntime(ctx, runtimeInputs),
      config.instanceTypes.cloudDesktop,
      cloudNet.privateSubnets[(d - 1) % cloudNet.privateSubnets.length]!,
      groups.cloudDesktop,
    );
    hosts.push({ id: spec.hostId, role: spec.role });
  }

  const sites: pulumi.Output<StackSite>[] = siteNets.map(({ site, net, groups: g }) => {
    const desktops: string[] = [];
    for (let d = 1; d <= config.desktopsPerSite; d++) {
      const spec: HostSpec = { hostId: `${site}-d${d}`, role: 'desktop', site };
      host.instance(spec, desktopRuntime(ctx, runtimeInputs), config.instanceTypes.desktop, net.privateSubnets[0]!, g.desktop);
      desktops.push(spec.hostId);
      hosts.push({ id: spec.hostId, role: 'desktop', site });
    }
    const neighbour: HostSpec = { hostId: `${site}-nb`, role: 'neighbour', site };
    host.instance(
      neighbour,
      neighbourRuntime(ctx, runtimeInputs),
      config.instanceTypes.neighbour,
      net.privateSubnets[0]!,
      g.neighbour,
    );
    hosts.push({ id: neighbour.hostId, role: 'neighbour', site });
    return natAddress(net).apply((address) => ({ id: site, natAddress: address, desktops, neighbour: neighbour.hostId }));
  });

  privateZones(ctx, {
    names,
    vpcs: [cloudNet.vpc, ...siteNets.map((s) => s.net.vpc)],
    alb: lb.alb,
    relayAddress: relayEip.publicIp,
    distribution: updates.distribution,
  });

  return {
    region: pulumi.output(config.region),
    stack: pulumi.output(stack),
    names: pulumi.output(names),
    endpoints: pulumi.all([lb.alb.dnsName, cdnUrl, relayEip.publicIp]).apply(([albName, cdnEndpoint, relayAddress]) => ({
      // reachable from anywhere; send the lab name (names.api / names.llm) as SNI and Host
      api: `https://${albName}`,
      cdn: cdnEndpoint,
      llm: `https://${albName}`,
      turnAddress: relayAddress,
      turnUrls: turnUrls(names.turn),
    })),
    cloudAutoScalingGroup: fleet.name,
    hosts: pulumi.output(hosts),
    sites: pulumi.all(sites),
    commandOutputBucket: commandStore.bucket.bucket,
    logGroups: pulumi.all([logs.components.name, logs.flowLogs.name]).apply(([components, flowLogGroup]) => ({
      components,
      flowLogs: flowLogGroup,
    })),
    caCertificate: pulumi.output(config.tls.caCertificate),
  };
}

function natAddress(net: Network): pulumi.Output<string> {
  return net.natAddresses[0]!.publicIp;
}

function uploadArtifacts(ctx: StackContext, bucket: aws.s3.Bucket, key: aws.kms.Key): Artifacts {
  const { nodePath, bundlePath } = ctx.config.artifacts;
  const upload = (name: string, path: string) => {
    const objectKey = `${name}/${basename(path)}`;
    new aws.s3.BucketObjectv2(
      `artifact-${name}`,
      {
        bucket: bucket.id,
        key: objectKey,
        source: new pulumi.asset.FileAsset(path),
        serverSideEncryption: 'aws:kms',
        kmsKeyId: key.arn,
      },
      ctx.opts,
    );
    return objectKey;
  };
  return {
    bucket: bucket.bucket,
    nodeKey: upload('node', nodePath),
    bundleKey: upload('bundle', bundlePath),
    nodeSha256: ctx.config.artifacts.nodeSha256 ?? sha256Of(nodePath),
    bundleSha256: ctx.config.artifacts.bundleSha256 ?? sha256Of(bundlePath),
  };
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Builds hosts that share the AMI, key, build and log group; one instance profile per role. */
function hostFactory(
  ctx: StackContext,
  shared: {
    ami: pulumi.Output<string>;
    key: aws.kms.Key;
    artifacts: Artifacts;
    logGroup: aws.cloudwatch.LogGroup;
    commandBucket: aws.s3.Bucket;
  },
) {
  const profiles = new Map<string, aws.iam.InstanceProfile>();
  const profile = (role: HostSpec['role'], runtime: HostRuntime) => {
    let found = profiles.get(role);
    if (!found) {
      found = instanceProfile(ctx, role, {
        // the database password is read by the start-up script too, from RDS's own secret
        secretArns: [...Object.values(runtime.secretFiles), ...(runtime.database ? [runtime.database.passwordSecretArn] : [])],
        key: shared.key,
        artifactObjectArns: [shared.artifacts.nodeKey, shared.artifacts.bundleKey].map(
          (objectKey) => pulumi.interpolate`arn:${ctx.partition}:s3:::${shared.artifacts.bucket}/${objectKey}`,
        ),
        logGroup: shared.logGroup,
        commandOutputBucket: shared.commandBucket,
      });
      profiles.set(role, found);
    }
    return found;
  };
  const instance = (
    spec: HostSpec,
    runtime: HostRuntime,
    instanceType: string,
    subnet: aws.ec2.Subnet,
    securityGroup: aws.ec2.SecurityGroup,
    networkInterface?: aws.ec2.NetworkInterface,
  ) =>
    labInstance(ctx, {
      ...spec,
      instanceType,
      ami: shared.ami,
      subnet,
      securityGroup,
      ...(networkInterface ? { networkInterface } : {}),
      profile: profile(spec.role, runtime),
      userData: userData(ctx, spec, shared.artifacts, runtime, shared.logGroup),
      key: shared.key,
    });
  return { profile, instance };
}
