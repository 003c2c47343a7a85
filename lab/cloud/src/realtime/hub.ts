import type { Logger } from '@multiclaw-lab/kit';
import type { ChannelKind, ServerFrame, WssTokenClaims } from '@multiclaw-lab/protocol';
import { WebSocket } from 'ws';

/** One open, authenticated real-time connection. */
export interface Session {
  id: string;
  channel: ChannelKind;
  claims: WssTokenClaims;
  socket: WebSocket;
  /** the user behind a user or gateway session; null for a cloud desktop */
  userId: string | null;
  workspaceId: string | null;
  instanceId: string | null;
  /** the long-lived credential that minted the token (bearer id or instance id) */
  credentialId: string;
  expiresAtMs: number;
}

/**
 * The registry of open sessions in this process (the cluster reaches the other processes'). Revocation, expiry, config pushes, event
 * relays and the ICE relay all find their sockets here. A session leaves the registry the
 * moment the cloud decides to close it, so nothing more is routed to a closing socket.
 */
export class Hub {
  readonly #sessions = new Map<string, Session>();
  readonly #logger: Logger;
  readonly #onAdd: ((session: Session) => void)[] = [];
  readonly #onRemove: ((session: Session) => void)[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  add(session: Session): void {
    this.#sessions.set(session.id, session);
    for (const listener of this.#onAdd) listener(session);
  }

  /** The cluster records where gateway and cloud-desktop sessions are open. */
  onAdd(listener: (session: Session) => void): void {
    this.#onAdd.push(listener);
  }

  /** Forgets a session (idempotent) and tells the listeners (the ICE relay ends its sessions). */
  remove(session: Session): void {
    if (!this.#sessions.delete(session.id)) return;
    for (const listener of this.#onRemove) listener(session);
  }

  onRemove(listener: (session: Session) => void): void {
    this.#onRemove.push(listener);
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  where(predicate: (session: Session) => boolean): Session[] {
    return [...this.#sessions.values()].filter(predicate);
  }

  get size(): number {
    return this.#sessions.size;
  }

  send<C extends ChannelKind>(session: Session & { channel: C }, frame: ServerFrame<C>): void;
  send(session: Session, frame: ServerFrame<ChannelKind>): void;
  send(session: Session, frame: ServerFrame<ChannelKind>): void {
    if (session.socket.readyState === WebSocket.OPEN) session.socket.send(JSON.stringify(frame));
  }

  /** Closes every session matching `predicate` with `code`; returns how many. */
  close(predicate: (session: Session) => boolean, code: number, reason: string): number {
    const doomed = this.where(predicate);
    for (const session of doomed) this.closeOne(session, code, reason);
    return doomed.length;
  }

  closeOne(session: Session, code: number, reason: string): void {
    this.remove(session);
    this.#logger.info(
      { event: 'ws.closing', connectionId: session.id, channel: session.channel, subject: session.claims.sub, code, reason },
      'closing real-time session',
    );
    if (session.socket.readyState === WebSocket.OPEN || session.socket.readyState === WebSocket.CONNECTING) {
      session.socket.close(code, reason);
    }
  }

  closeAll(code: number, reason: string): void {
    this.close(() => true, code, reason);
  }
}
