/**
 * TLS session resumption for the app's real-time connection: the session the cloud last gave
 * (a TLS 1.3 ticket, or a 1.2 session) is offered on the next connection, so a reconnect can skip
 * the certificate exchange and its signature. The app does not resume by default; load runs turn
 * it on to measure what resumption saves the cloud when thousands come back at once.
 *
 * A server that cannot use the offered session (another instance's ticket keys, a restarted
 * process, an interceptor) simply makes a full handshake, with the certificate checked as always.
 */
import { isIP } from 'node:net';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';

export type HandshakeKind = 'resumed' | 'full';

export class TlsSessionCache {
  /** the latest session the server issued, by server name: one cache may serve several clouds */
  readonly #sessions = new Map<string, Buffer>();
  readonly #onHandshake: ((kind: HandshakeKind) => void) | undefined;

  constructor(onHandshake?: (kind: HandshakeKind) => void) {
    this.#onHandshake = onHandshake;
  }

  /** A `createConnection` for ws: tls.connect with the cached session offered and the next one kept. */
  readonly connect = (options: ConnectionOptions): TLSSocket => {
    const host = options.host ?? 'localhost';
    // as ws's own connector: SNI with a name, none with an address
    const servername = options.servername ?? (isIP(host) ? '' : host);
    const key = `${servername || host}:${options.port ?? 443}`;
    const session = this.#sessions.get(key);
    // `path` is the request's URL path here, which tls.connect would take for a unix socket
    const socket = connect({ ...options, path: undefined, servername, ...(session ? { session } : {}) });
    socket.on('session', (issued: Buffer) => this.#sessions.set(key, issued));
    socket.once('secureConnect', () => this.#onHandshake?.(socket.isSessionReused() ? 'resumed' : 'full'));
    return socket;
  };
}
