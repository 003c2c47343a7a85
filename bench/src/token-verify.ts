import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { WssTokens } from '@multiclaw-lab/cloud';
import { systemClock } from '@multiclaw-lab/kit';
import { measureRate, type Spread } from './stats.ts';

export interface TokenVerifyResult {
  /** the cloud's WssTokens.verify (jose HS256 + issuer/expiry/required claims + zod claim schema), one at a time */
  cloudSequential: Spread;
  /** the same, `inFlight` verifications awaited together, as the upgrade handler sees under load */
  cloudConcurrent: Spread & { inFlight: number };
  /** node:crypto HMAC-SHA256 of the same token's signing input and a constant-time compare */
  rawHmac: Spread;
  /** cloudSequential.median / rawHmac.median */
  ratioSequentialToRaw: number;
  /** cloudConcurrent.median / rawHmac.median */
  ratioConcurrentToRaw: number;
  tokenBytes: number;
}

export interface TokenVerifyOptions {
  rounds: number;
  roundMs: number;
  inFlight?: number;
}

/**
 * Verifications per second of the cloud's own WSS token verifier on a genuine user-channel
 * token, next to the floor any HS256 verifier has to pay: one HMAC-SHA256 over the token's
 * `header.payload` and a compare. The ratio says how much the JWT library, the claim checks and
 * the async WebCrypto path cost on top of the bare MAC.
 */
export async function benchTokenVerification(options: TokenVerifyOptions): Promise<TokenVerifyResult> {
  const secret = randomBytes(32);
  const tokens = new WssTokens(secret, systemClock);
  const { token, claims } = await tokens.mint({ kind: 'user', sub: 'usr_0123456789abcdef0123', cid: 'brr_0123456789abcdef0123' });

  // Prove we measure successful verifications, and that a forged token is refused, so a
  // verifier that throws early cannot look fast.
  const checked = await tokens.verify(token);
  if (checked.jti !== claims.jti) throw new Error('the cloud verifier returned other claims than it minted');
  const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
  if (
    await tokens.verify(forged).then(
      () => true,
      () => false,
    )
  )
    throw new Error('the cloud verifier accepted a forged token');

  const dot = token.lastIndexOf('.');
  const signingInput = token.slice(0, dot);
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  // A prepared KeyObject, as jose keeps its imported CryptoKey: both sides skip key set-up per call.
  const key = createSecretKey(secret);
  const rawVerify = (): boolean => timingSafeEqual(createHmac('sha256', key).update(signingInput).digest(), signature);
  if (!rawVerify()) throw new Error('raw HMAC-SHA256 does not match the token signature');

  const inFlight = options.inFlight ?? 64;
  const rounds = { rounds: options.rounds, roundMs: options.roundMs };
  const cloudSequential = await measureRate(() => tokens.verify(token), { ...rounds, batch: 50 });
  const cloudConcurrent = await measureRate(() => Promise.all(Array.from({ length: inFlight }, () => tokens.verify(token))), {
    ...rounds,
    batch: 2,
    opsPerCall: inFlight,
  });
  const rawHmac = await measureRate(rawVerify, { ...rounds, batch: 500 });
  return {
    cloudSequential,
    cloudConcurrent: { ...cloudConcurrent, inFlight },
    rawHmac,
    ratioSequentialToRaw: cloudSequential.median / rawHmac.median,
    ratioConcurrentToRaw: cloudConcurrent.median / rawHmac.median,
    tokenBytes: Buffer.byteLength(token),
  };
}
