import { createHmac } from 'node:crypto';
import { type Clock, systemClock } from '@multiclaw-lab/kit';

/**
 * TURN REST-API credentials, exactly as the cloud hands them out and coturn's
 * `use-auth-secret` checks them: username `<unix expiry>:<user>`, password
 * base64(HMAC-SHA1(secret, username)). Used by tests and health probes.
 */
export function turnCredentials(
  secret: string,
  user: string,
  options: { ttlSeconds?: number; clock?: Clock } = {},
): { username: string; credential: string; expiresAt: number } {
  const expiresAt = Math.floor((options.clock ?? systemClock).now() / 1000) + (options.ttlSeconds ?? 3600);
  const username = `${expiresAt}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64'), expiresAt };
}
