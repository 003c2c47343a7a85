import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CREDENTIAL_PREFIX, type CredentialKind } from '@multiclaw-lab/protocol';

/** A new long-lived credential: its kind's prefix + 32 random bytes, base64url. */
export function newCredential(kind: CredentialKind): string {
  return CREDENTIAL_PREFIX[kind] + randomBytes(32).toString('base64url');
}

/** What the database keeps of a credential: its SHA-256 (the token has 256 bits of entropy, so no salt or KDF is needed). */
export function credentialHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Row ids: a readable prefix and 80 random bits in hex (hex so ids never look like secrets to the log scrubber). */
export function newId(prefix: 'usr' | 'brr' | 'wsp' | 'ins' | 'agt' | 'con' | 'jti' | 'inv'): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
