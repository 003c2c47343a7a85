import { once } from 'node:events';
import { parseServerFrame, REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '@multiclaw-lab/protocol';
import WebSocket from 'ws';

/** One authenticated user-channel session, as the desktop app holds it. */
export interface UserSession {
  socket: WebSocket;
  /** close code, once the socket closed */
  closedWith: number | undefined;
  /** heartbeat pings received from the cloud so far */
  pings: number;
}

/**
 * Opens `wss://…/v1/realtime/user` with the token in the subprotocol list and resolves once
 * the cloud's `welcome` frame arrived: only then is the session authenticated and registered.
 */
export async function openUserSession(
  baseUrl: string,
  path: string,
  token: string,
  caPem: string,
  timeoutMs: number,
): Promise<UserSession> {
  const url = new URL(path, baseUrl.replace(/^https:/, 'wss:'));
  const socket = new WebSocket(url, [REALTIME_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`], {
    ca: caPem,
    perMessageDeflate: false,
    handshakeTimeout: timeoutMs,
  });
  const session: UserSession = { socket, closedWith: undefined, pings: 0 };
  socket.on('close', (code) => {
    session.closedWith = code;
  });
  socket.on('ping', () => {
    session.pings++;
  });
  const timer = AbortSignal.timeout(timeoutMs);
  try {
    // `once` rejects on 'error' (refused upgrade, TLS failure), so failures surface here.
    const [data] = (await once(socket, 'message', { signal: timer })) as [Buffer];
    const frame = parseServerFrame('user', data);
    if (frame.type !== 'welcome') throw new Error(`expected a welcome frame, got ${frame.type}`);
    return session;
  } catch (err) {
    socket.terminate();
    throw err;
  }
}

/** Resolves when the session has received `count` pings in total, or has closed. */
export function untilPinged(session: UserSession, count: number): Promise<void> {
  if (session.pings >= count || session.closedWith !== undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (session.pings >= count || session.closedWith !== undefined) {
        session.socket.off('ping', check);
        session.socket.off('close', check);
        resolve();
      }
    };
    session.socket.on('ping', check);
    session.socket.on('close', check);
  });
}
