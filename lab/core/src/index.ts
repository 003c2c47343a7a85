export * from './browser-viewer/open.ts';
export * from './cloud-api.ts';
export * from './components.ts';
export * from './desktop-driver.ts';
export * from './held-realtime.ts';
export { type AttachLabOptions, attachLab } from './lab/attach.ts';
export * from './lab/builder.ts';
export {
  balancerStateText,
  CLOUD_BALANCER_ID,
  CLOUD_GROUP,
  type CloudInstance,
  cloudInstances,
  MAX_CLOUD_INSTANCES,
} from './lab/cloud-balancer.ts';
export type { HostFiles } from './lab/definitions.ts';
export type { FollowedService } from './lab/followed-service.ts';
export { type Health, type HealthCheck, within } from './lab/health.ts';
export type { HttpsProbeOptions, HttpsProbeResult } from './lab/hosts.ts';
export * from './lab/lab.ts';
export type { DemoWorkspace } from './lab/provision.ts';
export { answersTo, type RunningService, type ServiceDef, type ServiceKind } from './lab/service.ts';
export * from './lab/site-controls.ts';
export * from './lab/site-link.ts';
export { startLab } from './lab/start.ts';
export { removeLabState, teardownLab } from './lab/teardown.ts';
export * from './lab/types.ts';
export * from './loopback-stack.ts';
export * from './loopback-turn.ts';
export * from './tcp-relay.ts';
