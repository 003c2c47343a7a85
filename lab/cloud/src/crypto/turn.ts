import { createHmac } from 'node:crypto';
import { mutant } from '../mutant.ts';

/**
 * coturn's time-limited credentials (`use-auth-secret`): username `<unix expiry>:<subject>`,
 * password base64(HMAC-SHA1(static-auth-secret, username)). coturn recomputes the HMAC and
 * refuses the username once its expiry has passed.
 */
export function turnCredentials(secret: string, subject: string, nowMs: number, ttlSeconds: number) {
  const validFor = mutant('turn-credentials-never-expire') ? 10 * 365 * 24 * 60 * 60 : ttlSeconds;
  const expiry = Math.floor(nowMs / 1000) + validFor;
  const username = `${expiry}:${subject}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, ttlSeconds, expiresAt: new Date(expiry * 1000).toISOString() };
}
