import type { WssTokenClaims } from '@multiclaw-lab/protocol';
import { type Ctx, nowDate } from '../context.ts';
import { mutant } from '../mutant.ts';

const PRUNE_EVERY_MS = 60_000;
let lastPrune = 0;

/**
 * Records that a WSS token opened a session. Returns false when it had already opened one:
 * each token is good for one session, so a captured token cannot be replayed while it lives.
 * Expired entries are pruned now and then (application time, like every expiry here).
 */
export async function useTokenOnce(ctx: Pick<Ctx, 'db' | 'clock'>, claims: WssTokenClaims): Promise<boolean> {
  const now = ctx.clock.now();
  if (now - lastPrune > PRUNE_EVERY_MS) {
    lastPrune = now;
    await ctx.db.query('DELETE FROM used_wss_tokens WHERE expires_at < $1', [nowDate(ctx)]);
  }
  const result = await ctx.db.query(
    'INSERT INTO used_wss_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING',
    [claims.jti, new Date(claims.exp * 1000)],
  );
  return result.rowCount === 1 || mutant('wss-token-reusable');
}
