import { createHash, timingSafeEqual } from 'node:crypto';
import { keyFingerprint } from '@multiclaw-lab/protocol';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export interface KeyRecord {
  fingerprint: string;
  registeredAt: string;
  revokedAt: string | null;
}

export type KeyCheck =
  | { status: 'valid'; fingerprint: string }
  | { status: 'revoked'; fingerprint: string }
  | { status: 'unknown'; fingerprint: string };

/**
 * The provider's key table. Keys are held only as SHA-256 hashes: the provider can recognise a
 * key it is shown, but it cannot leak one. Revocation is permanent (as at a real provider: a
 * revoked key is never valid again; register a new key instead).
 */
export class KeyRegistry {
  readonly #byFingerprint = new Map<string, KeyRecord & { hash: Buffer }>();

  /** Registers a key; registering the same key again is a no-op that returns its record. */
  register(apiKey: string, at: string): { record: KeyRecord; created: boolean } {
    const fingerprint = keyFingerprint(apiKey);
    const existing = this.#byFingerprint.get(fingerprint);
    if (existing) return { record: publicView(existing), created: false };
    const entry = { fingerprint, registeredAt: at, revokedAt: null, hash: sha256(apiKey) };
    this.#byFingerprint.set(fingerprint, entry);
    return { record: publicView(entry), created: true };
  }

  /** Returns the record, or undefined when no key has that fingerprint. */
  revoke(fingerprint: string, at: string): KeyRecord | undefined {
    const entry = this.#byFingerprint.get(fingerprint);
    if (!entry) return undefined;
    entry.revokedAt ??= at;
    return publicView(entry);
  }

  check(apiKey: string): KeyCheck {
    const fingerprint = keyFingerprint(apiKey);
    const entry = this.#byFingerprint.get(fingerprint);
    // The fingerprint is only 64 bits: compare the whole hash before trusting a match.
    if (!entry || !timingSafeEqual(entry.hash, sha256(apiKey))) return { status: 'unknown', fingerprint };
    return { status: entry.revokedAt === null ? 'valid' : 'revoked', fingerprint };
  }

  list(): KeyRecord[] {
    return [...this.#byFingerprint.values()].map(publicView);
  }
}

function publicView(entry: KeyRecord): KeyRecord {
  return { fingerprint: entry.fingerprint, registeredAt: entry.registeredAt, revokedAt: entry.revokedAt };
}
