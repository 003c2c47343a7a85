/**
 * A staging stack as the aws driver sees it, made in moto: instances tagged as deploy/ tags them,
 * and the command output bucket. Only what the driver reads is made (no VPC design, no ALB).
 */
import { DescribeImagesCommand, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { HOST_TAG, ROLE_TAG, SITE_TAG, STACK_TAG } from '@multiclaw-lab/deploy';
import type { AwsClients } from '../ssm/clients.ts';

export interface FixtureInstance {
  role: string;
  /** HOST_TAG; cloud instances have none */
  host?: string;
  site?: string;
}

export async function anyImage(clients: AwsClients): Promise<string> {
  const images = await clients.ec2.send(new DescribeImagesCommand({}));
  const id = images.Images?.[0]?.ImageId;
  if (!id) throw new Error('moto offers no AMI');
  return id;
}

/** Starts one instance with the stack's tags; returns its id. */
export async function launchInstance(
  clients: AwsClients,
  stack: string,
  instance: FixtureInstance,
  imageId: string,
): Promise<string> {
  const tags = [
    { Key: STACK_TAG, Value: stack },
    { Key: ROLE_TAG, Value: instance.role },
    ...(instance.host ? [{ Key: HOST_TAG, Value: instance.host }] : []),
    ...(instance.site ? [{ Key: SITE_TAG, Value: instance.site }] : []),
  ];
  const out = await clients.ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
    }),
  );
  return out.Instances![0]!.InstanceId!;
}

export async function stopInstance(clients: AwsClients, instanceId: string): Promise<void> {
  await clients.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
}

export async function createBucket(clients: AwsClients, bucket: string): Promise<void> {
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
}
