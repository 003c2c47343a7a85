import { z } from 'zod';

export const RELEASE_VARIANTS = ['valid', 'tampered', 'unsigned', 'wrong-key'] as const;
export type ReleaseVariant = (typeof RELEASE_VARIANTS)[number];

export const Channel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a channel is 1–32 lowercase letters, digits or dashes, e.g. "stable"');

/** 64 KiB by default: big enough to be a real download, small enough to make by the thousand. */
export const DEFAULT_ARTIFACT_BYTES = 64 * 1024;
export const MAX_ARTIFACT_BYTES = 64 * 1024 * 1024;

/** POST /admin/releases: makes an artifact for `version`, signs it and publishes it as the channel's latest. */
export const PublishReleaseRequest = z.object({
  channel: Channel,
  version: z
    .string()
    .max(32)
    .regex(/^\d+\.\d+\.\d+$/, 'a version is MAJOR.MINOR.PATCH, e.g. "1.2.3"'),
  notes: z.string().max(10_000).optional(),
  variant: z.enum(RELEASE_VARIANTS),
  sizeBytes: z.number().int().min(256).max(MAX_ARTIFACT_BYTES).optional(),
});
export type PublishReleaseRequest = z.infer<typeof PublishReleaseRequest>;

export const ReleaseView = z.object({
  channel: z.string(),
  version: z.string(),
  variant: z.enum(RELEASE_VARIANTS),
  manifestUrl: z.string(),
  artifactUrl: z.string(),
  /** null for unsigned releases */
  signatureUrl: z.string().nullable(),
  /** SHA-256 (hex) of the bytes served, which for `tampered` differ from the bytes signed */
  sha256: z.string(),
  sizeBytes: z.number().int(),
  /** key id of the key that signed it (the CDN's, or the stranger's for wrong-key) */
  signedBy: z.string().nullable(),
});
export type ReleaseView = z.infer<typeof ReleaseView>;
export const ReleasesResponse = z.object({ releases: z.array(ReleaseView) });
