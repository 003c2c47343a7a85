export type { HeartbeatOptions } from './cloud-link.ts';
export {
  GATEWAY_VERSION,
  type GatewayHandle,
  type GatewayOptions,
  type ScreenStreamerContext,
  startGateway,
} from './gateway.ts';
export type { Scheduler } from './scheduler.ts';
export { noScreenStreamer, type ScreenStreamer } from './screen-streamer.ts';
export { InsecurePermissionsError } from './secure-fs.ts';
export { syntheticJpeg } from './synthetic-jpeg.ts';
export { turnIceServers } from './turn-credentials.ts';
export { type StreamerStats, WebrtcScreenStreamer, type WebrtcStreamerOptions } from './webrtc-streamer.ts';
