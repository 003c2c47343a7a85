/**
 * A stand-in for MultiClaw Cloud, for the desktop simulator's unit tests only (the real cloud is
 * exercised by the cross-component tests in lab/core/test). It speaks just enough of the protocol — sign-in,
 * sign-out, /me, WSS token minting, the user channel — and records every request so tests can
 * count them and look at the credentials used.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createLabCA, type LabCA } from '@multiclaw-lab/pki';
import { REALTIME_PATH, REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '@multiclaw-lab/protocol';
import { WebSocket, WebSocketServer } from 'ws';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface StandInSocket {
  socket: WebSocket;
  token: string;
  protocols: string[];
  /** the TLS handshake under it resumed an earlier session (no certificate exchange) */
  resumed: boolean;
}

export interface StandInCloudOptions {
  ca?: LabCA;
  /** answer pings (default true); false makes a silent peer */
  autoPong?: boolean;
  users?: Array<{ email: string; password: string }>;
  /** more routes for signed-in callers, answered as given: `"POST /v1/workspaces"` → status and JSON body */
  answers?: Record<string, { status: number; body?: unknown }>;
}

export class StandInCloud extends EventEmitter<{ connection: [StandInSocket] }> {
  readonly ca: LabCA;
  readonly requests: RecordedRequest[] = [];
  readonly sockets: StandInSocket[] = [];
  readonly bearers = new Set<string>();
  readonly wssTokens = new Set<string>();
  /** every bearer and WSS token ever issued, for leak checks */
  readonly issued: string[] = [];
  readonly users: Array<{ email: string; password: string }>;
  server!: Server;
  wss!: WebSocketServer;
  url!: string;
  port!: number;
  #autoPong: boolean;
  readonly #answers: Record<string, { status: number; body?: unknown }>;

  constructor(ca: LabCA, options: StandInCloudOptions) {
    super();
    this.ca = ca;
    this.#autoPong = options.autoPong ?? true;
    this.#answers = options.answers ?? {};
    this.users = options.users ?? [{ email: 'ada@example.test', password: 'correct horse battery' }];
  }

  static async start(options: StandInCloudOptions = {}): Promise<StandInCloud> {
    const ca = options.ca ?? (await createLabCA());
    const cloud = new StandInCloud(ca, options);
    await cloud.#listen();
    return cloud;
  }

  async #listen(): Promise<void> {
    const leaf = await this.ca.issue(['localhost', '127.0.0.1']);
    this.server = createServer({ cert: leaf.chainPem, key: leaf.keyPem, minVersion: 'TLSv1.2' }, (req, res) => {
      void this.#handle(req, res);
    });
    this.wss = new WebSocketServer({
      noServer: true,
      autoPong: this.#autoPong,
      handleProtocols: (protocols) => (protocols.has(REALTIME_SUBPROTOCOL) ? REALTIME_SUBPROTOCOL : false),
    });
    this.server.on('upgrade', (req, socket, head) => {
      const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      const token = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
      this.requests.push({ method: 'UPGRADE', path: req.url ?? '', authorization: req.headers.authorization, body: null });
      if (req.url !== REALTIME_PATH.user || !token || !this.wssTokens.has(token)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const entry = { socket: ws, token, protocols, resumed: (req.socket as TLSSocket).isSessionReused() };
        this.sockets.push(entry);
        ws.send(
          JSON.stringify({
            type: 'welcome',
            channel: 'user',
            connectionId: `c${this.sockets.length}`,
            subject: 'u1',
            expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          }),
        );
        this.emit('connection', entry);
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `https://127.0.0.1:${this.port}`;
  }

  /** Resolves with the next WSS connection the stand-in accepts. */
  async nextConnection(): Promise<StandInSocket> {
    const [entry] = await once(this, 'connection');
    return entry as StandInSocket;
  }

  get latest(): StandInSocket | undefined {
    return this.sockets.at(-1);
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  revokeAll(): void {
    this.bearers.clear();
    this.wssTokens.clear();
  }

  sendTask(taskId: string, seq: number): void {
    const frame = {
      type: 'event.task',
      workspaceId: 'w1',
      status: { taskId, seq, state: 'running', detail: 'step', at: new Date().toISOString(), instanceId: 'i1' },
    };
    for (const { socket } of this.sockets) if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown = null;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
    } catch {
      body = null;
    }
    const path = req.url ?? '';
    const authorization = req.headers.authorization;
    this.requests.push({ method: req.method ?? '', path, authorization, body });
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const unauthenticated = () => send(401, { error: { code: 'unauthenticated', message: 'bearer unknown or revoked' } });
    const route = `${req.method} ${path}`;
    if (route === 'POST /v1/auth/sign-in') {
      const { email, password } = (body ?? {}) as { email?: string; password?: string };
      if (!this.users.some((u) => u.email === email && u.password === password)) {
        return send(401, { error: { code: 'invalid_credentials', message: 'wrong email or password' } });
      }
      const issued = `mcb_${randomBytes(24).toString('base64url')}`;
      this.bearers.add(issued);
      this.issued.push(issued);
      return send(200, { bearer: issued, user: { id: 'u1', email, name: 'Ada' } });
    }
    if (!bearer || !this.bearers.has(bearer)) return unauthenticated();
    if (route === 'POST /v1/auth/sign-out') {
      this.bearers.delete(bearer);
      return send(204);
    }
    if (route === 'GET /v1/me') {
      return send(200, { user: { id: 'u1', email: 'ada@example.test', name: 'Ada' }, workspaces: [] });
    }
    const gatewayToken = /^POST \/v1\/workspaces\/([^/]+)\/gateway-tokens$/.exec(route);
    if (gatewayToken) {
      const authToken = `mcg_${randomBytes(24).toString('base64url')}`;
      this.issued.push(authToken);
      return send(201, { instanceId: 'i1', workspaceId: decodeURIComponent(gatewayToken[1]!), authToken });
    }
    if (route === 'POST /v1/realtime/token') {
      const token = `eyJ${randomBytes(8).toString('base64url')}.${randomBytes(16).toString('base64url')}.${randomBytes(16).toString('base64url')}`;
      this.wssTokens.add(token);
      this.issued.push(token);
      return send(200, {
        token,
        channel: 'user',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        path: REALTIME_PATH.user,
      });
    }
    const answer = this.#answers[route];
    if (answer) return send(answer.status, answer.body);
    return send(404, { error: { code: 'not_found', message: `no route ${route}` } });
  }

  async close(): Promise<void> {
    for (const { socket } of this.sockets) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
