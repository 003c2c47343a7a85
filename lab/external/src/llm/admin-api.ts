/**
 * Admin API shapes that protocol (llm.ts) leaves to the provider. GET /admin/keys lists every
 * key ever registered, by fingerprint only.
 */
import { z } from 'zod';

export const KeyRecordSchema = z.object({
  fingerprint: z.string(),
  registeredAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});
export const KeyListResponse = z.object({ keys: z.array(KeyRecordSchema) });
export const FingerprintParam = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'a fingerprint is 16 lowercase hex digits (first 16 of SHA-256 of the key)'),
});
