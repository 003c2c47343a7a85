export {
  createDesktopApp,
  DEFAULT_VERSION,
  DesktopApp,
  type DesktopAppOptions,
  type DesktopState,
  type SignedOutEvent,
} from './app.ts';
export { COMMANDS, type CommandName } from './commands.ts';
export { optionsFrom } from './config.ts';
export { type ErrorView, errorView } from './error-view.ts';
export { DesktopError, isUnauthorized, ServiceError } from './errors.ts';
export { GatewayClient } from './gateway-client.ts';
export { LOCAL_STORAGE_FILE, LocalStorage } from './local-storage.ts';
// the app's real-time client, as it behaves (backoff with jitter, fresh token per connection):
// load generators hold thousands of them to load the cloud as real apps do
export {
  type DroppedEvent,
  type HeartbeatOptions,
  RealtimeConnection,
  type RealtimeOptions,
  type ReconnectedEvent,
  type TaskEventFrame,
} from './realtime.ts';
export { type HandshakeKind, TlsSessionCache } from './tls-sessions.ts';
export type { UpdateCheckResult, UpdateRejectionCode } from './updater.ts';
export { compareVersions, isNewer } from './version.ts';
