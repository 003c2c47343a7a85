import { createHash } from 'node:crypto';

/**
 * The fingerprint of an LLM API key: the first 16 hex digits of its SHA-256. The cloud shows it
 * instead of the key, the LLM provider logs calls under it, and the lab matches the two.
 */
export function keyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 16);
}
