import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLabCA } from '@multiclaw-lab/pki';
import { type ConfigSync, REALTIME_SUBPROTOCOL, type TaskStatusFrame, TOKEN_SUBPROTOCOL_PREFIX } from '@multiclaw-lab/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

export interface StandInConnection {
  channel: string;
  token: string;
  socket: WebSocket;
  frames: Record<string, unknown>[];
  closed: boolean;
}

/**
 * A small stand-in for MultiClaw Cloud, for this package's unit tests only: one HTTPS port with
 * POST /v1/realtime/token and the WSS channels. It stores task statuses the way the cloud does
 * (each (taskId, seq) once, in order; duplicates acked, gaps nacked) and records everything.
 */
export class StandInCloud extends EventEmitter {
  url = '';
  ca = '';
  /** every token minted, and the credential each mint presented */
  minted: string[] = [];
  mintCredentials: string[] = [];
  connections: StandInConnection[] = [];
  /** every task.status frame received, and the ones stored */
  received: TaskStatusFrame[] = [];
  stored: TaskStatusFrame[] = [];
  transcripts: { conversationId: string; revision: number; messages: unknown[] }[] = [];
  configAcks: number[] = [];
  // behaviour switches
  revokeMints = false;
  /** while true the token endpoint answers 503, as an unreachable cloud would fail every attempt */
  down = false;
  ackStatuses = true;
  answerPings = true;
  /** on receiving this (taskId-agnostic) seq the first time, forget the task's statuses and nack seq 1 */
  forgetOnceAtSeq: number | undefined;
  /** on receiving this seq the first time, answer with an `error` frame instead of an ack */
  errorOnceAtSeq: number | undefined;
  #server = createServer();
  #wss = new WebSocketServer({ noServer: true, autoPong: false, handleProtocols: () => REALTIME_SUBPROTOCOL });

  static async start(): Promise<StandInCloud> {
    const cloud = new StandInCloud();
    await cloud.#listen();
    return cloud;
  }

  async #listen(): Promise<void> {
    const ca = await createLabCA({ name: 'cloud stand-in CA' });
    const leaf = await ca.issue(['127.0.0.1', 'localhost']);
    this.ca = ca.certPem;
    this.#server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      if (req.method !== 'POST' || req.url !== '/v1/realtime/token') {
        res.writeHead(404).end();
        return;
      }
      this.mintCredentials.push((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (this.down) {
        res.writeHead(503).end();
        return;
      }
      if (this.revokeMints) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unauthenticated', message: 'revoked' } }));
        return;
      }
      const { channel } = JSON.parse(body) as { channel: string };
      // Deliberately not secret-shaped, so a leak would not be hidden by the log scrubber.
      const token = randomBytes(24).toString('hex');
      this.minted.push(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          token,
          channel,
          expiresAt: new Date(Date.now() + 3600_000).toISOString(),
          path: `/v1/realtime/${channel}`,
        }),
      );
    });
    this.#server.on('upgrade', (req, socket, head) => {
      const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      const token = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length) ?? '';
      if (!this.minted.includes(token)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, String(req.url).split('/').pop()!, token));
    });
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  #accept(socket: WebSocket, channel: string, token: string): void {
    const conn: StandInConnection = { channel, token, socket, frames: [], closed: false };
    this.connections.push(conn);
    socket.on('ping', (data) => {
      if (this.answerPings) socket.pong(data);
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      conn.frames.push(frame);
      this.#handle(conn, frame);
      this.emit('change');
    });
    socket.on('close', () => {
      conn.closed = true;
      this.emit('change');
    });
    socket.send(
      JSON.stringify({
        type: 'welcome',
        channel,
        connectionId: `c${this.connections.length}`,
        subject: 'u1',
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      }),
    );
    this.emit('change');
  }

  #handle(conn: StandInConnection, frame: Record<string, unknown>): void {
    if (frame.type === 'task.status') {
      const status = frame as unknown as TaskStatusFrame;
      this.received.push(status);
      if (!this.ackStatuses) return;
      if (this.errorOnceAtSeq === status.seq) {
        this.errorOnceAtSeq = undefined;
        conn.socket.send(
          JSON.stringify({ type: 'error', code: 'internal', message: 'could not handle task.status; retry', ref: 'task.status' }),
        );
        return;
      }
      if (this.forgetOnceAtSeq === status.seq) {
        this.forgetOnceAtSeq = undefined;
        this.stored = this.stored.filter((s) => s.taskId !== status.taskId);
        conn.socket.send(JSON.stringify({ type: 'task.status.nack', taskId: status.taskId, expectedSeq: 1 }));
        return;
      }
      const have = this.stored.filter((s) => s.taskId === status.taskId).length;
      if (status.seq === have + 1) this.stored.push(status);
      else if (status.seq > have + 1) {
        conn.socket.send(JSON.stringify({ type: 'task.status.nack', taskId: status.taskId, expectedSeq: have + 1 }));
        return;
      }
      conn.socket.send(JSON.stringify({ type: 'task.status.ack', taskId: status.taskId, seq: status.seq }));
    } else if (frame.type === 'transcript.sync') {
      this.transcripts.push(frame as never);
      conn.socket.send(
        JSON.stringify({ type: 'transcript.ack', conversationId: frame.conversationId, revision: frame.revision }),
      );
    } else if (frame.type === 'config.ack') {
      this.configAcks.push(frame.version as number);
    }
  }

  /** Resolves once `predicate` holds (checked now and after every change). */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await once(this, 'change');
  }

  live(): StandInConnection | undefined {
    return this.connections.findLast((c) => !c.closed);
  }

  async connection(n: number): Promise<StandInConnection> {
    await this.until(() => this.connections.length >= n);
    return this.connections[n - 1]!;
  }

  sendConfig(sync: Omit<ConfigSync, 'type'>): void {
    this.live()!.socket.send(JSON.stringify({ type: 'config.sync', ...sync }));
  }

  /** Kills every socket without a close frame, as a network failure would. */
  dropAll(): void {
    for (const c of this.connections) if (!c.closed) c.socket.terminate();
  }

  closeAll(code: number): void {
    for (const c of this.connections) if (!c.closed) c.socket.close(code, 'stand-in');
  }

  async close(): Promise<void> {
    this.dropAll();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
