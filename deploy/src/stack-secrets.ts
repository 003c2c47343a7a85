/**
 * The random secrets a new staging stack needs, made once by `lab deploy` (never by the
 * program: a program that draws random values would change them on every preview) and stored
 * as Pulumi secrets in the stack's config. From there the program copies them into Secrets
 * Manager, where the instances read them through their roles.
 */
import { randomBytes } from 'node:crypto';
import type { SecretKey } from './config.ts';

export type GeneratedSecretKey = Extract<SecretKey, 'tokenSigningKey' | 'masterKey' | 'turnSharedSecret'>;

export function generateStackSecrets(random: (size: number) => Buffer = randomBytes): Record<GeneratedSecretKey, string> {
  return {
    // HS256 key of the WSS tokens: 256 bits
    tokenSigningKey: random(32).toString('base64'),
    // AES-256 master key of secrets at rest: exactly 32 bytes, as the cloud's key file wants them
    masterKey: random(32).toString('base64'),
    // coturn's static-auth-secret: no whitespace allowed, so hex
    turnSharedSecret: random(32).toString('hex'),
  };
}
