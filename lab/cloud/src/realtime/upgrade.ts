import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CHANNEL_KINDS,
  type ChannelKind,
  ProtocolError,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type WssTokenClaims,
} from '@multiclaw-lab/protocol';
import { type SessionScope, stillValid } from '../auth/still-valid.ts';
import { useTokenOnce } from '../auth/token-use.ts';
import type { Ctx } from '../context.ts';

const CHANNEL_BY_PATH = new Map<string, ChannelKind>(CHANNEL_KINDS.map((c) => [REALTIME_PATH[c], c]));

export interface Admitted {
  channel: ChannelKind;
  claims: WssTokenClaims;
  scope: SessionScope;
}

/**
 * Decides at upgrade time whether a WebSocket may open: the path names the channel, the
 * subprotocol list carries `multiclaw.v1` and `token.<WSS token>`, the token is genuine, not
 * expired, of this channel's kind, its minting credential is still live, and it has not
 * opened a session before (one session per token).
 */
export async function admit(ctx: Ctx, request: IncomingMessage): Promise<Admitted> {
  const path = new URL(request.url ?? '/', 'https://cloud.invalid').pathname;
  const channel = CHANNEL_BY_PATH.get(path);
  if (!channel)
    throw new ProtocolError('not_found', `no real-time channel at ${path}; use one of ${[...CHANNEL_BY_PATH.keys()].join(', ')}`);
  const offered = (request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!offered.includes(REALTIME_SUBPROTOCOL)) {
    throw new ProtocolError('bad_request', `offer the WebSocket subprotocol ${REALTIME_SUBPROTOCOL}`);
  }
  const tokenEntry = offered.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX));
  if (!tokenEntry) {
    throw new ProtocolError(
      'unauthenticated',
      `missing token: offer the subprotocol ${TOKEN_SUBPROTOCOL_PREFIX}<token from POST /v1/realtime/token>`,
    );
  }
  const claims = await ctx.tokens.verify(tokenEntry.slice(TOKEN_SUBPROTOCOL_PREFIX.length));
  if (claims.kind !== channel) {
    throw new ProtocolError('unauthenticated', `this token opens the ${claims.kind} channel, not ${channel}`);
  }
  const scope = await stillValid(ctx, claims);
  if (!scope) throw new ProtocolError('unauthenticated', 'the credential behind this token was revoked: sign in or link again');
  if (!(await useTokenOnce(ctx, claims))) {
    throw new ProtocolError(
      'unauthenticated',
      'this WSS token already opened a session; request a fresh one (POST /v1/realtime/token)',
    );
  }
  return { channel, claims, scope };
}

/** Answers a refused upgrade with a real HTTP status and an ErrorBody, then closes the socket. */
export function refuseUpgrade(socket: Duplex, error: ProtocolError): void {
  const body = JSON.stringify(error.toBody());
  const reason = STATUS_CODES[error.httpStatus] ?? 'Refused';
  const headers = [
    `HTTP/1.1 ${error.httpStatus} ${reason}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (error.httpStatus === 401) headers.push('WWW-Authenticate: Bearer realm="multiclaw-realtime"');
  if (socket.writable) socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
}
