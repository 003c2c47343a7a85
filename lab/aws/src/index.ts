/**
 * @multiclaw-lab/aws: the aws driver's AWS side. The SSM transport (Run Command, Session Manager
 * sessions, hosts found by tags), the staging stack through the Pulumi Automation API (deploy,
 * destroy, outputs), and attaching to a deployed stack.
 */

export { AwsDriver, type AwsDriverOptions } from './aws-driver.ts';
export { DockerTransport } from './docker-transport.ts';
export { DriverCannotError } from './driver-errors.ts';
export * from './errors.ts';
export * as instanceCommands from './instance-commands.ts';
export { type AwsClientOptions, type AwsClients, awsClients, callerIdentity } from './ssm/clients.ts';
export { cloudHostId, cloudIndex, InstanceDirectory, type ResolvedHost } from './ssm/instances.ts';
export { isTruncated, RUN_SHELL_SCRIPT, runCommand, TRUNCATED_SUFFIX } from './ssm/run-command.ts';
export { AWS_CLI_INSTALL, SESSION_PLUGIN_INSTALL, START_NON_INTERACTIVE, startSessionArgv } from './ssm/session.ts';
export { DEFAULT_RUN_TIMEOUT_MS, SsmTransport, type SsmTransportOptions } from './ssm/ssm-transport.ts';
export { type AttachedHost, type AttachedStack, attachStack, type HealthCheck, httpsHealth } from './stack/attach.ts';
export { type BuiltArtifacts, DEFAULT_REGION, deployConfig, PROJECT_NAME } from './stack/config.ts';
export { loadDeployParts } from './stack/deploy-parts.ts';
export { type HostLogLine, readHostLogs } from './stack/host-logs.ts';
export { findPulumi, PULUMI_FIX, PULUMI_INSTALL, type PulumiCli, pulumiVersion, requirePulumi } from './stack/pulumi-cli.ts';
export {
  type DeployOptions,
  type DeployParts,
  type DeployResult,
  deployStack,
  destroyStack,
  parseStackOutputs,
  readStackOutputs,
} from './stack/stack.ts';
export { driverOver, stagingDriver } from './stack/staging-driver.ts';
export { INSTANCE_INTERFACE, stagingTopology } from './stack/topology.ts';
export type { InstanceCommand, InstanceTransport } from './transport.ts';
