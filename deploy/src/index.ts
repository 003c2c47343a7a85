/**
 * @multiclaw-lab/deploy: the AWS staging replica as a Pulumi program, its configuration, its
 * outputs contract and its policy rules. The policy pack (policy/pack.ts) is deliberately not
 * exported: importing it starts a policy server.
 */
export * from './address-plan.ts';
// the components bundle `lab deploy` uploads (built by artifacts/, another part of this package)
export { type BundleOptions, type BundleResult, buildBundle } from './artifacts/bundle.ts';
export {
  availabilityZones,
  CONFIG_NAMESPACE,
  loadStackConfig,
  parseStackConfig,
  SECRET_KEYS,
  type SecretKey,
  type StackConfig,
  type StackConfigInput,
  type StackSecrets,
  stackConfigSchema,
} from './config.ts';
export { StackConfigError } from './errors.ts';
export * from './outputs.ts';
export type { PolicyRule, RuleResource, Violation } from './policy/resources.ts';
export {
  bucketPublicAccessRule,
  checkAll,
  databaseRule,
  encryptionRule,
  flowLogsRule,
  iamLeastPrivilegeRule,
  imdsV2Rule,
  noSshRule,
  POLICY_RULES,
  publicIngressRule,
} from './policy/rules.ts';
export { isDocumentedPublicIngress, PORTS, type PortRange, publicIngress, SG_PURPOSE_TAG } from './ports.ts';
export { type StagingInput, type StagingOutputs, stagingProgram } from './program.ts';
export { generateStackSecrets } from './stack-secrets.ts';
export { generateStackTls, type StackTls } from './stack-tls.ts';
// what runs on each instance role, and where its output goes (the harness follows it)
export { type HealthProbe, PATHS as INSTANCE_PATHS, ROLE_PLANS, type RolePlan, type ServiceSpec } from './startup/roles.ts';
