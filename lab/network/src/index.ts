export * from './driver.ts';
export * from './errors.ts';
export { type NftHost, NftTableFault } from './faults.ts';
export { type FdLimitFacts, openFileLimit, readFdLimitFacts, SERVICE_OPEN_FILES } from './fd-limit.ts';
export { collectExit, NETPROBE, TcpdumpCapture, TcpListener, tcpdumpArgs, UdpEcho } from './helpers.ts';
export { HostDriver } from './host-driver.ts';
export * from './names.ts';
export { NetnsDriver, type NetnsUpOptions, netnsDriver } from './netns-driver.ts';
export { eachLimited, hostsFile, type Progress, resolvConf, routerInterfaces } from './provision.ts';
export {
  type AllowedDestination,
  type EdgeScope,
  edgeDropRuleset,
  match,
  type Proto,
  type Redirect,
  routerRuleset,
} from './rules.ts';
export { checkPrerequisites, netnsTools, SYSTEM_PATH, type ToolStatus } from './run.ts';
export { listNamespaces, type TeardownReport, teardownByPrefix } from './teardown.ts';
export * from './topology.ts';
