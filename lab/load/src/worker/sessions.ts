/**
 * Many desktop apps' real-time sessions in one process: each is the app's own client
 * (RealtimeConnection: a fresh WSS token per connection, ping/pong heartbeats, reconnects with
 * capped exponential backoff and full jitter), so the cloud is loaded as real apps load it. What
 * they go through is recorded into the worker's metrics; marks ("the link was healed now") let
 * the worker say when every session is back after them.
 */
import { RealtimeConnection, type RealtimeOptions, ServiceError, TlsSessionCache } from '@multiclaw-lab/desktop-sim';
import { type BackoffOptions, createLogger, systemClock } from '@multiclaw-lab/kit';
import { routes } from '@multiclaw-lab/protocol';
import { Agent, request } from 'undici';
import type { Metrics } from '../metrics.ts';

type TokenResponse = Awaited<ReturnType<RealtimeOptions['mintToken']>>;

export interface SessionsConfig {
  cloudUrl: string;
  /** the trust the host's apps have (its bundle, with the lab CA) */
  ca: string;
  /** bearers of the accounts the sessions sign in as, shared round-robin */
  bearers: string[];
  clients: number;
  /** sessions being opened at once */
  connectConcurrency: number;
  heartbeat?: { intervalMs: number; timeoutMs: number };
  backoff?: Omit<BackoffOptions, 'random'>;
  /** each session resumes its TLS session when it reconnects (the app as shipped does not) */
  tlsResumption?: boolean;
}

interface Session {
  connection: RealtimeConnection;
  /** when its latest welcome came (worker clock) */
  welcomedAt: number | undefined;
  connected: boolean;
}

export class SessionPool {
  readonly #config: SessionsConfig;
  readonly #metrics: Metrics;
  readonly #sessions: Session[] = [];
  readonly #agent: Agent;
  /** one for every session: thousands of clients' own logs would drown the worker's */
  readonly #logger = createLogger({ service: 'load-session', level: 'silent' });
  /** the latest mark and when it was made: sessions welcomed after it are "back" */
  #mark: { name: string; at: number } | undefined;
  #stopping = false;
  /** sessions whose first connection was never welcomed */
  failed = 0;

  constructor(config: SessionsConfig, metrics: Metrics) {
    this.#config = config;
    this.#metrics = metrics;
    this.#agent = new Agent({ connect: { ca: config.ca }, connections: 16 });
  }

  get connected(): number {
    return this.#sessions.filter((s) => s.connected).length;
  }

  get opened(): number {
    return this.#sessions.length;
  }

  /** sessions welcomed since the latest mark (all of them means everyone is back) */
  get backSinceMark(): number {
    const mark = this.#mark;
    if (!mark) return 0;
    return this.#sessions.filter((s) => s.connected && s.welcomedAt !== undefined && s.welcomedAt >= mark.at).length;
  }

  #mint(bearer: string) {
    const url = new URL(routes.mintRealtimeToken.path, this.#config.cloudUrl);
    return async (signal: AbortSignal): Promise<TokenResponse> => {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        signal,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'user' }),
      });
      const text = await res.body.text();
      // as the app's own client: a refused bearer (401) stops the session for good, anything else is retried
      if (res.statusCode !== 200)
        throw new ServiceError('cloud', res.statusCode, 'unexpected_response', `minting a WSS token answered ${res.statusCode}`);
      return JSON.parse(text) as TokenResponse;
    };
  }

  async #open(index: number): Promise<void> {
    const bearer = this.#config.bearers[index % this.#config.bearers.length]!;
    const connection = new RealtimeConnection({
      cloudUrl: new URL(this.#config.cloudUrl),
      ca: this.#config.ca,
      logger: this.#logger,
      clock: systemClock,
      mintToken: this.#mint(bearer),
      ...(this.#config.heartbeat ? { heartbeat: this.#config.heartbeat } : {}),
      ...(this.#config.backoff ? { backoff: this.#config.backoff } : {}),
      // one cache per session, as each app keeps its own
      ...(this.#config.tlsResumption
        ? {
            tlsSessions: new TlsSessionCache((kind) =>
              this.#metrics.add(kind === 'resumed' ? 'tls_resumed' : 'tls_full_handshakes'),
            ),
          }
        : {}),
    });
    const session: Session = { connection, welcomedAt: undefined, connected: false };
    this.#sessions.push(session);
    connection.on('welcome', () => {
      session.welcomedAt = Date.now();
      session.connected = true;
      const mark = this.#mark;
      if (mark) this.#metrics.record(`back_after_${mark.name}_ms`, session.welcomedAt - mark.at);
    });
    connection.on('dropped', () => {
      session.connected = false;
      if (!this.#stopping) this.#metrics.add('drops');
    });
    connection.on('reconnected', (e) => {
      this.#metrics.record('reconnect_ms', e.downtimeMs);
      this.#metrics.add('reconnects');
    });
    const started = performance.now();
    try {
      await connection.start();
      this.#metrics.record('connect_ms', performance.now() - started);
      this.#metrics.add('sessions_opened');
    } catch {
      this.failed += 1;
      this.#metrics.add('sessions_refused');
    }
  }

  /** Opens every session, `connectConcurrency` at a time; resolves once each was welcomed or failed. */
  async openAll(): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (!this.#stopping && next < this.#config.clients) await this.#open(next++);
    };
    await Promise.all(Array.from({ length: Math.max(1, this.#config.connectConcurrency) }, lane));
  }

  mark(name: string): void {
    this.#mark = { name, at: Date.now() };
  }

  async stopAll(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#sessions.map((s) => s.connection.stop()));
    await this.#agent.close();
  }
}
