import type { Clock } from '@multiclaw-lab/kit';
import {
  type ChannelKind,
  ProtocolError,
  WSS_TOKEN_TTL_SECONDS,
  type WssTokenClaims,
  WssTokenClaimsSchema,
} from '@multiclaw-lab/protocol';
import { decodeJwt, errors, jwtVerify, SignJWT } from 'jose';
import { newId } from '../crypto/tokens.ts';
import { mutant } from '../mutant.ts';

export const TOKEN_ISSUER = 'multiclaw-cloud';

export interface MintRequest {
  kind: ChannelKind;
  sub: string;
  cid: string;
  wid?: string;
  iid?: string;
}

/**
 * Short-lived WSS tokens: HS256 (HMAC-SHA256) JWTs. Issue and expiry times come from the
 * injected clock, so the lab can move them; verification uses the same clock.
 */
export class WssTokens {
  readonly #secret: Uint8Array;
  readonly #clock: Clock;

  constructor(secret: Uint8Array | string, clock: Clock) {
    this.#secret = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (this.#secret.length < 32) throw new Error('the WSS token secret must be at least 32 bytes');
    this.#clock = clock;
  }

  async mint(request: MintRequest): Promise<{ token: string; claims: WssTokenClaims }> {
    const iat = Math.floor(this.#clock.now() / 1000);
    const claims: WssTokenClaims = {
      iss: TOKEN_ISSUER,
      sub: request.sub,
      kind: request.kind,
      cid: request.cid,
      ...(request.wid ? { wid: request.wid } : {}),
      ...(request.iid ? { iid: request.iid } : {}),
      jti: newId('jti'),
      iat,
      exp: iat + lifetimeSeconds(request.kind),
    };
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.#secret);
    return { token, claims };
  }

  /** Checks signature, issuer and expiry; throws 401 token_expired or unauthenticated. */
  async verify(token: string): Promise<WssTokenClaims> {
    let payload: unknown;
    try {
      if (mutant('wss-token-signature-unchecked')) payload = unverifiedPayload(token, this.#clock);
      else
        ({ payload } = await jwtVerify(token, this.#secret, {
          algorithms: ['HS256'],
          issuer: TOKEN_ISSUER,
          currentDate: new Date(this.#clock.now()),
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) {
        throw new ProtocolError('token_expired', 'the real-time token has expired: mint a new one with POST /v1/realtime/token');
      }
      throw new ProtocolError('unauthenticated', 'the real-time token is not valid: mint one with POST /v1/realtime/token');
    }
    const parsed = WssTokenClaimsSchema.safeParse(payload);
    if (!parsed.success) throw new ProtocolError('unauthenticated', 'the real-time token does not carry MultiClaw claims');
    return parsed.data;
  }
}

/** The documented lifetime of a channel's tokens (or a catalogued mutant's wrong one). */
function lifetimeSeconds(kind: ChannelKind): number {
  if (kind === 'user' && mutant('user-wss-token-5-minutes')) return 5 * 60;
  if (kind === 'user' && mutant('user-wss-token-48-hours')) return 48 * 60 * 60;
  if (kind === 'daemon' && mutant('daemon-wss-token-48-hours')) return 48 * 60 * 60;
  return WSS_TOKEN_TTL_SECONDS[kind];
}

/** The mutant 'wss-token-signature-unchecked': the claims and expiry are read, the HMAC is not. */
function unverifiedPayload(token: string, clock: Clock): unknown {
  const payload = decodeJwt(token);
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= clock.now()) {
    throw new errors.JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed');
  }
  return payload;
}
