export {
  Channel,
  DEFAULT_ARTIFACT_BYTES,
  PublishReleaseRequest,
  RELEASE_VARIANTS,
  ReleasesResponse,
  type ReleaseVariant,
  ReleaseView,
} from './cdn/admin-api.ts';
export { CdnAdminClient } from './cdn/admin-client.ts';
export { artifactBytes, artifactFileName } from './cdn/artifact.ts';
export { type CdnHandle, type CdnOptions, startCdn } from './cdn/cdn.ts';
export { AdminRequestError } from './common/admin-client.ts';
export type { ServiceHandle } from './common/service.ts';
export type { TlsFiles } from './common/tls.ts';
export { KeyListResponse, KeyRecordSchema } from './llm/admin-api.ts';
export { LlmAdminClient } from './llm/admin-client.ts';
export { type LlmProviderHandle, type LlmProviderOptions, startLlmProvider } from './llm/provider.ts';
