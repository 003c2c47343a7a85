/**
 * The `enc:` format of secrets in a config sync payload and in an instance's openclaw.json:
 *
 *   enc:<base64url( 0x01 | iv[12] | tag[16] | ciphertext )>
 *
 * AES-256-GCM under a per-instance key derived with HKDF-SHA256 from the instance token
 * (salt: the instance id, info: SEAL_INFO). The additional data binds a value to its instance
 * and its place (`label`, e.g. the agent id), so a value moved elsewhere does not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ProtocolError } from './errors.ts';

export const SEAL_PREFIX = 'enc:';
export const SEAL_INFO = 'multiclaw/config-sync/v1';
const VERSION = 0x01;

export function deriveInstanceKey(instanceToken: string, instanceId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(instanceToken, 'utf8'), Buffer.from(instanceId, 'utf8'), SEAL_INFO, 32));
}

function aad(instanceId: string, label: string): Buffer {
  return Buffer.from(`${instanceId}\u0000${label}`, 'utf8');
}

export function seal(plaintext: string, key: Buffer, instanceId: string, label: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(instanceId, label));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEAL_PREFIX + Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]).toString('base64url');
}

export function isSealed(value: string): boolean {
  return value.startsWith(SEAL_PREFIX);
}

/** Opens an `enc:` value; throws ProtocolError('forbidden') if it was not sealed for this key and place. */
export function unseal(value: string, key: Buffer, instanceId: string, label: string): string {
  if (!isSealed(value)) throw new ProtocolError('bad_request', 'not an enc: value');
  const raw = Buffer.from(value.slice(SEAL_PREFIX.length), 'base64url');
  if (raw.length < 1 + 12 + 16 || raw[0] !== VERSION) throw new ProtocolError('bad_request', 'unknown enc: format');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 13));
  decipher.setAAD(aad(instanceId, label));
  decipher.setAuthTag(raw.subarray(13, 29));
  try {
    return Buffer.concat([decipher.update(raw.subarray(29)), decipher.final()]).toString('utf8');
  } catch {
    throw new ProtocolError('forbidden', 'enc: value does not open with this instance key');
  }
}
