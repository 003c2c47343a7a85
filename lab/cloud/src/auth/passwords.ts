import { createHash } from 'node:crypto';
import { ProtocolError } from '@multiclaw-lab/protocol';
import bcrypt from 'bcrypt';
import { mutant } from '../mutant.ts';

const unsaltedSha256 = (password: string) => createHash('sha256').update(password, 'utf8').digest('hex');

/** bcrypt reads at most 72 bytes; a longer password would be silently cut, so it is refused. */
export const MAX_PASSWORD_BYTES = 72;

/** Only bcrypt hashes of passwords are stored. */
export class Passwords {
  readonly #cost: number;
  #dummy: Promise<string> | undefined;

  constructor(cost: number) {
    this.#cost = cost;
  }

  /** Hashes a new password (sign-up, password change). */
  hash(password: string): Promise<string> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      throw new ProtocolError('bad_request', `password too long: at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`, {
        issues: [{ path: 'password', message: `at most ${MAX_PASSWORD_BYTES} bytes` }],
      });
    }
    if (mutant('password-stored-as-sha256')) return Promise.resolve(unsaltedSha256(password));
    return bcrypt.hash(password, this.#cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    if (mutant('password-stored-as-sha256')) return Promise.resolve(hash === unsaltedSha256(password));
    return bcrypt.compare(password, hash);
  }

  /** Spends the time of one comparison, so an unknown email answers as slowly as a wrong password. */
  async burn(password: string): Promise<void> {
    this.#dummy ??= bcrypt.hash('not-a-real-password', this.#cost);
    await bcrypt.compare(password, await this.#dummy);
  }
}
