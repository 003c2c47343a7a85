import { createHmac } from 'node:crypto';

/**
 * coturn's time-limited credentials (`use-auth-secret`): username `<unix expiry>:<subject>`,
 * password base64(HMAC-SHA1(static-auth-secret, username)). coturn recomputes the HMAC and
 * refuses the username once its expiry has passed.
 */
export function turnCredentials(secret: string, subject: string, nowMs: number, ttlSeconds: number) {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${subject}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, ttlSeconds, expiresAt: new Date(expiry * 1000).toISOString() };
}
