/**
 * minisign (https://jedisct1.github.io/minisign/), the signature format of Tauri's updater, with
 * node:crypto only (no npm package does it). All binary fields are base64 (standard alphabet),
 * key ids are 8 bytes shown as minisign shows them: uppercase hex of the little-endian number.
 *
 *   public key   untrusted comment: ...\n base64( "Ed" | keyId[8] | pk[32] )
 *   signature    untrusted comment: ...\n base64( "ED" | keyId[8] | sig[64] )\n
 *                trusted comment: <text>\n base64( globalSig[64] )
 *   secret key   untrusted comment: ...\n base64( "Ed" | kdf[2] | "B2" | salt[32] | ops[8] | mem[8] |
 *                                                 keyId[8] | sk[64] | checksum[32] )
 *
 * "ED" signs BLAKE2b-512(data) (minisign's default since 0.8), "Ed" signs the data itself (legacy,
 * `minisign -l`). The global signature covers sig[64] | trusted comment, so the comment (which
 * carries the timestamp and file name) cannot be swapped between signatures.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

export type MinisignErrorCode =
  | 'malformed_key'
  | 'malformed_signature'
  | 'key_mismatch'
  | 'bad_signature'
  | 'bad_global_signature'
  | 'unsupported_algorithm';

export class MinisignError extends Error {
  override readonly name = 'MinisignError';
  readonly code: MinisignErrorCode;
  constructor(code: MinisignErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** An unencrypted minisign secret key, held in memory. */
export interface MinisignSecretKey {
  /** 8 raw bytes, as stored in every signature */
  keyNum: Uint8Array;
  /** minisign's display form of keyNum, e.g. "633331C449D2BC73" */
  keyId: string;
  /** the Ed25519 seed (32 bytes) */
  seed: Uint8Array;
  /** the Ed25519 public key (32 bytes) */
  publicKey: Uint8Array;
}

const ALG_LEGACY = 'Ed';
const ALG_PREHASHED = 'ED';
const UNTRUSTED_PREFIX = 'untrusted comment: ';
const TRUSTED_PREFIX = 'trusted comment: ';
const KDF_NONE = '\u0000\u0000';
const KDF_SCRYPT = 'Sc';
const CHECKSUM_ALG = 'B2';
const PUBLIC_KEY_BYTES = 2 + 8 + 32;
const SIGNATURE_BYTES = 2 + 8 + 64;
const SECRET_KEY_BYTES = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;
/** minisign reads comments with a fixed buffer; longer ones would be cut off there */
const MAX_COMMENT_BYTES = 1024;

function keyIdOf(keyNum: Uint8Array): string {
  return Buffer.from(keyNum).reverse().toString('hex').toUpperCase();
}

function isStrictBase64(text: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0;
}

/** Strict base64: Buffer.from(..., 'base64') silently skips junk, which would hide malformed input. */
function decodeBase64(text: string, expectedBytes: number, code: MinisignErrorCode, what: string): Buffer {
  const trimmed = text.trim();
  if (!isStrictBase64(trimmed)) throw new MinisignError(code, `${what} is not base64`);
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== expectedBytes) {
    throw new MinisignError(code, `${what} has ${bytes.length} bytes, expected ${expectedBytes}`);
  }
  return bytes;
}

/**
 * The lines of a minisign file without their line endings, blank lines at either end dropped.
 * Other whitespace is kept: minisign strips only CR/LF, and a trusted comment's trailing space
 * is part of what the global signature covers.
 */
function linesOf(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  return lines;
}

function ed25519PublicKey(pk: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') }, format: 'jwk' });
}

function ed25519PrivateKey(seed: Uint8Array, pk: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.from(pk).toString('base64url') },
    format: 'jwk',
  });
}

function blake2b512(data: Uint8Array): Buffer {
  return createHash('blake2b512').update(data).digest();
}

interface ParsedPublicKey {
  keyNum: Buffer;
  pk: Buffer;
}

/** Accepts a whole .pub file or only its base64 line. */
function parsePublicKey(publicKeyText: string): ParsedPublicKey {
  if (typeof publicKeyText !== 'string') throw new MinisignError('malformed_key', 'public key must be text');
  const lines = linesOf(publicKeyText).filter((l) => l !== '');
  const line = lines[0]?.startsWith(UNTRUSTED_PREFIX) ? lines[1] : lines[0];
  if (line === undefined) throw new MinisignError('malformed_key', 'public key is empty');
  const raw = decodeBase64(line, PUBLIC_KEY_BYTES, 'malformed_key', 'public key');
  const alg = raw.subarray(0, 2).toString('latin1');
  if (alg !== ALG_LEGACY)
    throw new MinisignError('unsupported_algorithm', `public key algorithm ${JSON.stringify(alg)} is not Ed`);
  return { keyNum: raw.subarray(2, 10), pk: raw.subarray(10) };
}

interface ParsedSignature {
  prehashed: boolean;
  keyNum: Buffer;
  sig: Buffer;
  trustedComment: string;
  globalSig: Buffer;
}

function parseSignature(signatureText: string): ParsedSignature {
  if (typeof signatureText !== 'string') throw new MinisignError('malformed_signature', 'signature must be text');
  const lines = linesOf(signatureText);
  const [untrusted, sigLine, trusted, globalLine] = lines;
  if (
    lines.length !== 4 ||
    untrusted === undefined ||
    sigLine === undefined ||
    trusted === undefined ||
    globalLine === undefined
  ) {
    throw new MinisignError('malformed_signature', `a minisign signature has 4 lines, this one has ${lines.length}`);
  }
  if (!untrusted.startsWith(UNTRUSTED_PREFIX)) {
    throw new MinisignError('malformed_signature', `first line must start with "${UNTRUSTED_PREFIX}"`);
  }
  if (!trusted.startsWith(TRUSTED_PREFIX)) {
    throw new MinisignError('malformed_signature', `third line must start with "${TRUSTED_PREFIX}"`);
  }
  const raw = decodeBase64(sigLine, SIGNATURE_BYTES, 'malformed_signature', 'signature');
  const globalSig = decodeBase64(globalLine, 64, 'malformed_signature', 'global signature');
  const alg = raw.subarray(0, 2).toString('latin1');
  if (alg !== ALG_PREHASHED && alg !== ALG_LEGACY) {
    throw new MinisignError('unsupported_algorithm', `signature algorithm ${JSON.stringify(alg)} is neither ED nor Ed`);
  }
  return {
    prehashed: alg === ALG_PREHASHED,
    keyNum: raw.subarray(2, 10),
    sig: raw.subarray(10),
    trustedComment: trusted.slice(TRUSTED_PREFIX.length),
    globalSig,
  };
}

/**
 * Verifies `data` against a minisign signature file's text and a public key, as `minisign -V`
 * does: key ids must match, the signature must cover the data (or its BLAKE2b-512 for `ED`), and
 * the global signature must cover the trusted comment. Returns the trusted comment; throws a
 * MinisignError with a stable code otherwise.
 */
export function verifyMinisign(
  data: Uint8Array,
  signatureText: string,
  publicKeyText: string,
): { trustedComment: string; keyId: string } {
  const key = parsePublicKey(publicKeyText);
  const signature = parseSignature(signatureText);
  if (!signature.keyNum.equals(key.keyNum)) {
    throw new MinisignError(
      'key_mismatch',
      `signature was made by key ${keyIdOf(signature.keyNum)}, but the public key is ${keyIdOf(key.keyNum)}`,
    );
  }
  const publicKey = ed25519PublicKey(key.pk);
  const message = signature.prehashed ? blake2b512(data) : data;
  if (!verify(null, message, publicKey, signature.sig)) {
    throw new MinisignError('bad_signature', 'signature does not match the data');
  }
  const signedComment = Buffer.concat([signature.sig, Buffer.from(signature.trustedComment, 'utf8')]);
  if (!verify(null, signedComment, publicKey, signature.globalSig)) {
    throw new MinisignError('bad_global_signature', 'trusted comment signature does not match (the trusted comment was altered)');
  }
  return { trustedComment: signature.trustedComment, keyId: keyIdOf(key.keyNum) };
}

function publicKeyLine(secretKey: MinisignSecretKey): string {
  return Buffer.concat([Buffer.from(ALG_LEGACY, 'latin1'), secretKey.keyNum, secretKey.publicKey]).toString('base64');
}

/** The .pub file text for a secret key, as `minisign -G` writes it. */
export function minisignPublicKeyText(secretKey: MinisignSecretKey): string {
  return `${UNTRUSTED_PREFIX}minisign public key ${secretKey.keyId}\n${publicKeyLine(secretKey)}\n`;
}

/**
 * The unencrypted secret key file text, as `minisign -G -W` writes it (minisign 0.11 leaves the
 * salt, limits and checksum zero for unencrypted keys; so do we, so the CLI reads ours).
 */
export function minisignSecretKeyText(secretKey: MinisignSecretKey): string {
  const raw = Buffer.alloc(SECRET_KEY_BYTES);
  raw.write(ALG_LEGACY, 0, 'latin1');
  raw.write(KDF_NONE, 2, 'latin1');
  raw.write(CHECKSUM_ALG, 4, 'latin1');
  Buffer.from(secretKey.keyNum).copy(raw, 54);
  Buffer.from(secretKey.seed).copy(raw, 62);
  Buffer.from(secretKey.publicKey).copy(raw, 94);
  return `${UNTRUSTED_PREFIX}minisign secret key ${secretKey.keyId} (unencrypted)\n${raw.toString('base64')}\n`;
}

export function generateMinisignKeyPair(): { publicKeyText: string; secretKey: MinisignSecretKey } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const keyNum = new Uint8Array(randomBytes(8));
  const secretKey: MinisignSecretKey = {
    keyNum,
    keyId: keyIdOf(keyNum),
    seed: new Uint8Array(Buffer.from(jwk.d!, 'base64url')),
    publicKey: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
  };
  return { publicKeyText: minisignPublicKeyText(secretKey), secretKey };
}

/** Reads an unencrypted secret key file (`minisign -G -W`, or minisignSecretKeyText). */
export function parseMinisignSecretKey(text: string): MinisignSecretKey {
  if (typeof text !== 'string') throw new MinisignError('malformed_key', 'secret key must be text');
  const lines = linesOf(text).filter((l) => l !== '');
  const line = lines[0]?.startsWith(UNTRUSTED_PREFIX) ? lines[1] : lines[0];
  if (line === undefined) throw new MinisignError('malformed_key', 'secret key is empty');
  const raw = decodeBase64(line, SECRET_KEY_BYTES, 'malformed_key', 'secret key');
  const alg = raw.subarray(0, 2).toString('latin1');
  const kdf = raw.subarray(2, 4).toString('latin1');
  const checksumAlg = raw.subarray(4, 6).toString('latin1');
  if (alg !== ALG_LEGACY)
    throw new MinisignError('unsupported_algorithm', `secret key algorithm ${JSON.stringify(alg)} is not Ed`);
  if (kdf === KDF_SCRYPT) {
    throw new MinisignError(
      'unsupported_algorithm',
      'secret key is password-encrypted; make an unencrypted one with `minisign -G -W` (the lab signs unattended)',
    );
  }
  if (kdf !== KDF_NONE || checksumAlg !== CHECKSUM_ALG) {
    throw new MinisignError('unsupported_algorithm', 'secret key uses an unknown key derivation or checksum');
  }
  const keyNum = raw.subarray(54, 62);
  const seed = raw.subarray(62, 94);
  const publicKey = raw.subarray(94, 126);
  // The checksum is BLAKE2b-256, which node:crypto lacks; deriving the public key from the seed
  // and comparing it with the stored one catches the same corruption.
  const derived = createPublicKey(ed25519PrivateKey(seed, publicKey)).export({ format: 'jwk' }).x;
  if (derived !== publicKey.toString('base64url')) {
    throw new MinisignError('malformed_key', 'secret key is corrupt: its public half does not match its seed');
  }
  return {
    keyNum: new Uint8Array(keyNum),
    keyId: keyIdOf(keyNum),
    seed: new Uint8Array(seed),
    publicKey: new Uint8Array(publicKey),
  };
}

function checkComment(comment: string, what: string): void {
  if (/[\r\n]/.test(comment)) throw new MinisignError('malformed_signature', `${what} must be a single line`);
  if (Buffer.byteLength(comment, 'utf8') > MAX_COMMENT_BYTES) {
    throw new MinisignError('malformed_signature', `${what} is longer than ${MAX_COMMENT_BYTES} bytes`);
  }
}

/**
 * Signs `data` the way `minisign -S` does (prehashed `ED`) and returns the .minisig file text.
 * The default trusted comment follows minisign's (`timestamp:<unix seconds>\tfile:<name>\thashed`)
 * without the file part, since only bytes are given here.
 */
export function signMinisign(
  data: Uint8Array,
  secretKey: MinisignSecretKey,
  options: { trustedComment?: string; untrustedComment?: string } = {},
): string {
  const trustedComment = options.trustedComment ?? `timestamp:${Math.floor(Date.now() / 1000)}\thashed`;
  const untrustedComment = options.untrustedComment ?? 'signature from minisign secret key';
  checkComment(trustedComment, 'trusted comment');
  checkComment(untrustedComment, 'untrusted comment');
  const privateKey = ed25519PrivateKey(secretKey.seed, secretKey.publicKey);
  const sig = sign(null, blake2b512(data), privateKey);
  const globalSig = sign(null, Buffer.concat([sig, Buffer.from(trustedComment, 'utf8')]), privateKey);
  const sigLine = Buffer.concat([Buffer.from(ALG_PREHASHED, 'latin1'), secretKey.keyNum, sig]).toString('base64');
  return `${UNTRUSTED_PREFIX}${untrustedComment}\n${sigLine}\n${TRUSTED_PREFIX}${trustedComment}\n${globalSig.toString('base64')}\n`;
}

/**
 * Tauri's updater manifest carries a signature as the base64 of the whole .minisig file text
 * (see updates.ts). These two convert between that field and the file text.
 */
export function tauriSignatureFromMinisig(signatureText: string): string {
  return Buffer.from(signatureText, 'utf8').toString('base64');
}

export function minisigFromTauriSignature(field: string): string {
  if (typeof field !== 'string' || field.trim() === '') {
    throw new MinisignError('malformed_signature', 'the manifest signature is empty (the release is unsigned)');
  }
  if (!isStrictBase64(field.trim())) throw new MinisignError('malformed_signature', 'the manifest signature is not base64');
  return Buffer.from(field.trim(), 'base64').toString('utf8');
}
