/**
 * Update manifest served by the CDN, in the Tauri v2 updater format: each platform names a
 * file and carries its minisign signature (the `.minisig` file's text, base64-encoded).
 * GET /updates/<channel>/latest.json
 */
import { z } from 'zod';

export const UpdatePlatform = z.object({ url: z.url(), signature: z.string() });
export const UpdateManifest = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+$/),
  notes: z.string().default(''),
  pub_date: z.iso.datetime(),
  platforms: z.record(z.string(), UpdatePlatform),
});
export type UpdateManifest = z.infer<typeof UpdateManifest>;

/** The platform key the lab desktop uses. */
export const LAB_PLATFORM = 'linux-x86_64';
