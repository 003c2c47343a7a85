/**
 * Test support (not shipped): an in-process cloud on a fresh database with a ManualClock and a
 * lab CA, an HTTPS client and a WSS client that trust only that CA, and captured log lines.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { createLogger, ManualClock } from '@multiclaw-lab/kit';
import { freshDatabase } from '@multiclaw-lab/kit/testing';
import { createLabCA } from '@multiclaw-lab/pki';
import {
  type ChannelKind,
  parseRouteResponse,
  parseServerFrame,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  type RestRoute,
  type RouteClient,
  type RouteRequestOptions,
  routePath,
  routes,
  type ServerFrame,
  signUpAndIn,
  successStatusOf,
  TOKEN_SUBPROTOCOL_PREFIX,
} from '@multiclaw-lab/protocol';
import { WebSocket } from 'ws';
import type { CloudHandle, CloudOptions } from './options.ts';
import { startCloud } from './server.ts';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  text: string;
}

export interface RequestOptions {
  auth?: string;
  body?: unknown;
  /** sent as is, instead of JSON of `body` */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestCloud extends AsyncDisposable, RouteClient {
  cloud: CloudHandle;
  clock: ManualClock;
  ca: string;
  databaseUrl: string;
  secrets: CloudOptions['secrets'];
  logs: string[];
  http(method: string, path: string, options?: RequestOptions): Promise<HttpResult>;
  /** a call of the route table that must succeed; its answer is checked against the route's schema */
  /** sign up + sign in; returns the bearer and the user id */
  user(name: string, password?: string): Promise<{ bearer: string; id: string; email: string; password: string }>;
  mint(credential: string, channel: ChannelKind): Promise<string>;
  connect<C extends ChannelKind>(channel: C, credential: string): Promise<TestSocket<C>>;
  /** opens with an explicit subprotocol list; resolves with the refusal (status and body) */
  refusedUpgrade(path: string, protocols: string[]): Promise<{ status: number; body: HttpResult['body'] }>;
}

export async function startTestCloud(overrides: Partial<CloudOptions> = {}): Promise<TestCloud> {
  const authority = await createLabCA();
  const leaf = await authority.issue(['localhost', '127.0.0.1']);
  const ca = authority.certPem;
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const clock = new ManualClock(new Date('2026-04-01T09:00:00Z'));
  // another cloud process of the same deployment passes the first one's database and secrets
  const databaseUrl = overrides.databaseUrl ?? (await freshDatabase('cloud'));
  const secrets = overrides.secrets ?? {
    tokenSecret: randomBytes(32),
    masterKey: randomBytes(32),
    turnSecret: `turn-${randomBytes(16).toString('hex')}`,
  };
  const cloud = await startCloud({
    databaseUrl,
    tls: { cert: leaf.certPem, key: leaf.keyPem },
    secrets,
    clock,
    logger: createLogger({ service: 'cloud', destination, level: 'debug', base: { node: overrides.nodeName ?? 'cloud' } }),
    bcryptCost: 4,
    sweepIntervalMs: 3_600_000, // tests sweep explicitly with sweepNow()
    ...overrides,
  });

  const http = (method: string, path: string, options: RequestOptions = {}) =>
    new Promise<HttpResult>((resolve, reject) => {
      const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      const headers: Record<string, string> = { ...options.headers };
      if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      if (options.auth) headers.authorization = `Bearer ${options.auth}`;
      const req = request(`${cloud.url}${path}`, { method, headers, ca, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });

  const routeRequest: RouteClient['request'] = async <R extends RestRoute>(route: R, options?: RouteRequestOptions<R>) => {
    const path = routePath(route, options?.params);
    const res = await http(route.method, path, {
      ...(options?.credential ? { auth: options.credential } : {}),
      ...(options?.body === undefined ? {} : { body: options.body }),
    });
    if (res.status !== successStatusOf(route)) throw new Error(`${route.method} ${path} → ${res.status}: ${res.text}`);
    return parseRouteResponse(route, res.body);
  };

  let users = 0;
  const user = async (name: string, password = 'correct horse battery') => {
    const email = `${name.toLowerCase()}-${++users}-${randomBytes(3).toString('hex')}@example.test`;
    const { id, bearer } = await signUpAndIn({ request: routeRequest }, { email, password, name });
    return { bearer, id, email, password };
  };

  const mint = async (credential: string, channel: ChannelKind) =>
    (await routeRequest(routes.mintRealtimeToken, { credential, body: { channel } })).token;

  const wsUrl = (path: string) => cloud.url.replace('https:', 'wss:') + path;

  const connect = async <C extends ChannelKind>(channel: C, credential: string) => {
    const token = await mint(credential, channel);
    const socket = new WebSocket(wsUrl(REALTIME_PATH[channel]), [REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token], { ca });
    const client = new TestSocket(channel, socket);
    await client.next('welcome');
    return client;
  };

  const refusedUpgrade = (path: string, protocols: string[]) =>
    new Promise<{ status: number; body: HttpResult['body'] }>((resolve, reject) => {
      const socket = new WebSocket(wsUrl(path), protocols, { ca });
      socket.on('open', () => reject(new Error('upgrade was accepted')));
      socket.on('error', () => undefined);
      socket.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        });
      });
    });

  const close = () => cloud.close();
  return {
    cloud,
    clock,
    ca,
    databaseUrl,
    secrets,
    logs,
    http,
    request: routeRequest,
    user,
    mint,
    connect,
    refusedUpgrade,
    [Symbol.asyncDispose]: close,
  };
}

/** A WSS client that queues every frame it receives, so a test can await the next one of a type. */
export class TestSocket<C extends ChannelKind> {
  readonly channel: C;
  readonly socket: WebSocket;
  readonly received: ServerFrame<C>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { type: string | undefined; resolve: (f: ServerFrame<C>) => void; reject: (e: Error) => void }[] = [];
  #pending: ServerFrame<C>[] = [];

  constructor(channel: C, socket: WebSocket) {
    this.channel = channel;
    this.socket = socket;
    this.closed = once(socket, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
    void this.closed.then((c) => {
      for (const w of this.#waiters.splice(0)) w.reject(new Error(`socket closed (${c.code}) while waiting for ${w.type}`));
    });
    socket.on('error', () => undefined);
    socket.on('message', (raw) => {
      const frame = parseServerFrame(channel, raw as Buffer);
      this.received.push(frame);
      this.#pending.push(frame);
      this.#drain();
    });
  }

  /** The oldest frame (of `type`) not yet handed to a caller; frames of other types stay queued. */
  next<T extends ServerFrame<C>['type']>(type?: T): Promise<Extract<ServerFrame<C>, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ type, resolve: resolve as (f: ServerFrame<C>) => void, reject });
      this.#drain();
    });
  }

  #drain(): void {
    for (let w = 0; w < this.#waiters.length; ) {
      const waiter = this.#waiters[w]!;
      const index = this.#pending.findIndex((f) => !waiter.type || f.type === waiter.type);
      if (index < 0) {
        w++;
        continue;
      }
      const [frame] = this.#pending.splice(index, 1);
      this.#waiters.splice(w, 1);
      waiter.resolve(frame!);
    }
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): void {
    this.socket.close();
  }
}
