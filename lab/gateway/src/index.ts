export type { HeartbeatOptions } from './cloud-link.ts';
export { GATEWAY_VERSION, type GatewayHandle, type GatewayOptions, startGateway } from './gateway.ts';
export type { Scheduler } from './scheduler.ts';
export { noScreenStreamer, type ScreenStreamer } from './screen-streamer.ts';
export { InsecurePermissionsError } from './secure-fs.ts';
