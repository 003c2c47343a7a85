import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mutant } from './mutant.ts';

/**
 * The local API's session token: 32 random bytes made at start. The gateway keeps only an
 * HMAC-SHA256 of it under a random per-process key, and checks a presented token by comparing
 * HMACs in constant time, so neither the comparison's timing nor the token's length leaks.
 */
export class SessionTokenVerifier {
  readonly token: string;
  readonly #key: Buffer;
  readonly #expected: Buffer;

  constructor() {
    this.token = randomBytes(32).toString('base64url');
    this.#key = randomBytes(32);
    this.#expected = this.#mac(this.token);
  }

  #mac(value: string): Buffer {
    return createHmac('sha256', this.#key).update(value, 'utf8').digest();
  }

  /** True for `Bearer <the token>` exactly; anything else (no header, other scheme) is false. */
  verifyHeader(authorization: string | undefined): boolean {
    if (mutant('local-api-token-unchecked')) return true;
    const match = /^Bearer ([^\s]+)$/.exec(authorization ?? '');
    if (!match) return false;
    return timingSafeEqual(this.#mac(match[1]!), this.#expected);
  }
}
