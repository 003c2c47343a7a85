/**
 * What the command line asks of AWS and Pulumi (`lab deploy`, `lab up --driver aws`, the
 * doctor's aws section), in one object so tests swap it: no test of the CLI reaches AWS.
 * The aws package (and with it the AWS SDK and Pulumi) loads only when one of these runs.
 */
import { join } from 'node:path';
import type * as Aws from '@multiclaw-lab/aws';
import type { Lab } from '@multiclaw-lab/core';
import type { StackOutputs } from '@multiclaw-lab/deploy';
import type { ExecResult } from '@multiclaw-lab/network';

export type AttachedStack = Aws.AttachedStack;
export type DeployResult = Aws.DeployResult;

export interface CallerIdentity {
  account: string;
  arn: string;
}

export interface AwsAccess {
  /** the region a new stack and the checks use: AWS_REGION, AWS_DEFAULT_REGION, else the default */
  region(): string;
  /** the pulumi CLI and its version, or undefined when it is not installed */
  pulumi(): Promise<{ path: string; version?: string } | undefined>;
  /** STS GetCallerIdentity: whose credentials the SDK resolves, or why none */
  callerIdentity(region: string): Promise<CallerIdentity>;
  deploy(options: { stackName: string; preview: boolean; onProgress: (line: string) => void }): Promise<DeployResult>;
  destroy(options: { stackName: string; onProgress: (line: string) => void }): Promise<string>;
  /** reads the stack's outputs and checks every instance and endpoint answers */
  attach(options: { stackName: string; onProgress: (line: string) => void }): Promise<AttachedStack>;
  /** runs a command on a lab host of an attached stack, through the aws driver (SSM Run Command) */
  exec(options: { outputs: StackOutputs; host: string; argv: string[] }): Promise<ExecResult>;
  /** the last log lines of a lab host's services, from CloudWatch Logs */
  logs(options: { outputs: StackOutputs; host: string; lines: number }): Promise<Aws.HostLogLine[]>;
  /** a Lab over the attached stack for `run`, taken down (detached) after it whatever happens */
  runScenarios<T>(options: {
    outputs: StackOutputs;
    prefix: string;
    stateDir: string;
    run: (lab: Lab) => Promise<T>;
    onProgress: (line: string) => void;
  }): Promise<T>;
}

const load = () => import('@multiclaw-lab/aws');

export function systemAwsAccess(stateRoot: string, env: NodeJS.ProcessEnv = process.env): AwsAccess {
  const region = () => env.AWS_REGION || env.AWS_DEFAULT_REGION || 'eu-west-1';
  /** a stack's folder: the bundle is built there, and its Pulumi workspace (with the stack's config) kept */
  const stackDir = (stackName: string) => join(stateRoot, 'deploy', stackName);
  const workDir = (stackName: string) => join(stackDir(stackName), 'pulumi');
  return {
    region,
    async pulumi() {
      // only the lookup: the doctor must not load the SDK and Pulumi to ask this
      const { findPulumi, pulumiVersion } = await import('@multiclaw-lab/aws/pulumi-cli');
      const cli = findPulumi(env);
      if (!cli) return undefined;
      const version = await pulumiVersion(cli);
      return { path: cli.path, ...(version ? { version } : {}) };
    },
    async callerIdentity(r) {
      // AWS_ENDPOINT_URL is honoured as the AWS CLI honours it (a stand-in such as moto)
      const { callerIdentity } = await import('@multiclaw-lab/aws/clients');
      return callerIdentity({ region: r, ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}) });
    },
    async deploy(options) {
      const aws = await load();
      const parts = await aws.loadDeployParts({ workDir: stackDir(options.stackName) });
      return aws.deployStack({ ...options, parts, region: region(), workDir: workDir(options.stackName) });
    },
    async destroy(options) {
      const aws = await load();
      const parts = await aws.loadDeployParts({ workDir: stackDir(options.stackName) });
      return aws.destroyStack({ ...options, program: parts.program, workDir: workDir(options.stackName) });
    },
    async attach(options) {
      const aws = await load();
      const parts = await aws.loadDeployParts({ workDir: stackDir(options.stackName) });
      const outputs = await aws.readStackOutputs({ stackName: options.stackName, parts, workDir: workDir(options.stackName) });
      const transport = aws.SsmTransport.fromOutputs(outputs);
      try {
        return await aws.attachStack({ outputs, transport, onProgress: options.onProgress });
      } finally {
        transport.close();
      }
    },
    async exec(options) {
      const aws = await load();
      const driver = await aws.stagingDriver(options.outputs, { prefix: 'exec', stateDir: join(stateRoot, 'aws-exec') });
      try {
        const [command, ...args] = options.argv;
        return await driver.exec(options.host, command!, args, { env: {} });
      } finally {
        await driver.down();
      }
    },
    async runScenarios(options) {
      const aws = await load();
      const { stagingLab } = await import('./staging-lab.ts');
      const transport = aws.SsmTransport.fromOutputs(options.outputs);
      try {
        const lab = await stagingLab({
          outputs: options.outputs,
          transport,
          running: await transport.hosts(),
          prefix: options.prefix,
          stateDir: options.stateDir,
          onProgress: options.onProgress,
        });
        try {
          return await options.run(lab);
        } finally {
          options.onProgress("detaching: stopping the lab's clients on the instances and healing every fault");
          await lab.down();
        }
      } finally {
        transport.close();
      }
    },
    async logs(options) {
      const aws = await load();
      const clients = aws.awsClients({ region: options.outputs.region });
      try {
        return await aws.readHostLogs({ clients, outputs: options.outputs, hostId: options.host, lines: options.lines });
      } finally {
        clients.destroy();
      }
    },
  };
}
