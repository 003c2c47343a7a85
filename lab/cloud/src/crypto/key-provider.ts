import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Application-layer encryption of secrets at rest (LLM keys, instance sync keys). Behind an
 * interface so a KMS-backed provider (envelope encryption with a data key per record) can
 * replace the local master key without touching callers. `context` is bound into the
 * ciphertext (AES-GCM additional data), so a sealed value copied to another row does not open.
 */
export interface KeyProvider {
  seal(plaintext: Buffer, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<Buffer>;
}

const FORMAT = 'mk1';

/** AES-256-GCM under a 32-byte master key read from a key file. Stored form: `mk1:<base64url(iv|tag|ct)>`. */
export class LocalMasterKeyProvider implements KeyProvider {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error(`master key must be 32 bytes, got ${masterKey.length}`);
    this.#key = Buffer.from(masterKey);
  }

  async seal(plaintext: Buffer, context: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${FORMAT}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
  }

  async open(sealed: string, context: string): Promise<Buffer> {
    const [format, body] = sealed.split(':', 2);
    if (format !== FORMAT || body === undefined) throw new Error('unknown sealed format');
    const raw = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
  }
}

/** Key files may hold the 32 raw bytes, or 64 hex digits, or base64 of 32 bytes (with or without a newline). */
export function parseMasterKey(file: Buffer): Buffer {
  return parseKeyFile(file, 32, 'master key');
}

/** The 48 bytes of the TLS session ticket keys, from a file written as parseMasterKey reads. */
export function parseTicketKeys(file: Buffer): Buffer {
  return parseKeyFile(file, 48, 'TLS ticket keys');
}

function parseKeyFile(file: Buffer, bytes: number, what: string): Buffer {
  if (file.length === bytes) return file;
  const text = file.toString('utf8').trim();
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(text)) return Buffer.from(text, 'hex');
  const b64 = Buffer.from(text, 'base64');
  if (b64.length === bytes) return b64;
  throw new Error(`${what} file must hold ${bytes} bytes: raw, ${bytes * 2} hex digits, or base64`);
}
