import { z } from 'zod';

/**
 * Long-lived credentials are opaque random strings whose prefix names their trust zone, so
 * a credential presented in the wrong zone is refused before any lookup:
 * - `mcb_` desktop app bearer token (issued at sign-in, valid until sign-out or revocation)
 * - `mcg_` gateway workspace auth token (long-lived, scoped to one user in one workspace)
 * - `mci_` cloud desktop instance token (scoped to one instance of a workspace)
 * The cloud stores only a SHA-256 of each.
 */
export const CREDENTIAL_PREFIX = {
  bearer: 'mcb_',
  gateway: 'mcg_',
  instance: 'mci_',
} as const;
export type CredentialKind = keyof typeof CREDENTIAL_PREFIX;

export function credentialKindOf(token: string): CredentialKind | undefined {
  for (const [kind, prefix] of Object.entries(CREDENTIAL_PREFIX)) {
    if (token.startsWith(prefix)) return kind as CredentialKind;
  }
  return undefined;
}

/** Real-time channel kinds; a WSS token opens only the kind it was minted for. */
export const CHANNEL_KINDS = ['user', 'gateway', 'daemon'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];
export const ChannelKindSchema = z.enum(CHANNEL_KINDS);

/** Which long-lived credential mints which channel's tokens. */
export const CREDENTIAL_FOR_CHANNEL: Record<ChannelKind, CredentialKind> = {
  user: 'bearer',
  gateway: 'gateway',
  daemon: 'instance',
};

/** Documented lifetimes: user session tokens 4 h, daemon (cloud desktop) tokens 24 h. */
export const WSS_TOKEN_TTL_SECONDS: Record<ChannelKind, number> = {
  user: 4 * 60 * 60,
  gateway: 4 * 60 * 60,
  daemon: 24 * 60 * 60,
};

/** Path of each channel on the cloud's HTTPS port. */
export const REALTIME_PATH: Record<ChannelKind, string> = {
  user: '/v1/realtime/user',
  gateway: '/v1/realtime/gateway',
  daemon: '/v1/realtime/daemon',
};

/**
 * The WSS token travels in the WebSocket subprotocol list (browsers cannot set headers and
 * query strings end up in logs): `[REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token]`.
 * The server answers with REALTIME_SUBPROTOCOL.
 */
export const REALTIME_SUBPROTOCOL = 'multiclaw.v1';
export const TOKEN_SUBPROTOCOL_PREFIX = 'token.';

/**
 * Claims of a WSS token (a JWT signed with HS256, i.e. HMAC-SHA256, by the cloud).
 * `cid` names the long-lived credential that minted it, so revoking that credential
 * (sign-out, password change, user removal) also kills its WSS tokens and sockets.
 */
export const WssTokenClaimsSchema = z.object({
  iss: z.literal('multiclaw-cloud'),
  sub: z.string().min(1), // user id (user, gateway) or instance id (daemon)
  kind: ChannelKindSchema,
  cid: z.string().min(1), // credential id: bearer session id or instance id
  wid: z.string().min(1).optional(), // workspace id (gateway, daemon)
  iid: z.string().min(1).optional(), // instance id (gateway, daemon)
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type WssTokenClaims = z.infer<typeof WssTokenClaimsSchema>;

/**
 * WebSocket close codes. 4001 tells a client to mint a fresh token and reconnect; 4003 tells
 * it the credential itself is gone (stop, report signed out or unlinked).
 */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  tokenExpired: 4001,
  revoked: 4003,
  malformed: 4400,
  heartbeatTimeout: 4408,
  replaced: 4409, // the same instance connected again elsewhere
} as const;
export type CloseCodeName = keyof typeof CLOSE_CODES;

/** Number of seconds between pings and how long a pong may take before the peer is dead. */
export const HEARTBEAT = { intervalMs: 15_000, timeoutMs: 10_000 } as const;
