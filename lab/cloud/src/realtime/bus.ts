import type { Logger } from '@multiclaw-lab/kit';
import pg from 'pg';

/** The PostgreSQL channel every cloud process of one database listens on. */
export const BUS_CHANNEL = 'multiclaw_realtime';
/** NOTIFY payloads must stay under 8000 bytes; larger messages wait in realtime_messages. */
const MAX_INLINE_BYTES = 7_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;

interface Envelope {
  /** the sending process: a process ignores its own messages, it applied them already */
  from: string;
  kind: string;
  body?: unknown;
  /** a message too large to travel inline: its row in realtime_messages */
  ref?: string;
}

export interface BusOptions {
  nodeId: string;
  databaseUrl: string;
  db: pg.Pool;
  logger: Logger;
}

/**
 * Messages between the cloud processes sharing one database, over PostgreSQL LISTEN/NOTIFY.
 * Delivery is at most once: a process whose listening connection drops misses what was sent
 * meanwhile, so on reconnecting it tells its `onResync` listeners to re-derive their state from
 * the database (the database is written first, then the message sent).
 */
export class Bus {
  readonly #o: BusOptions;
  readonly #handlers = new Map<string, (body: unknown) => void | Promise<void>>();
  readonly #resync: (() => void)[] = [];
  #client: pg.Client | undefined;
  #listening = false;
  #stopped = false;
  #retryMs = RECONNECT_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: BusOptions) {
    this.#o = options;
  }

  /** Whether messages from other processes reach this one right now. */
  get listening(): boolean {
    return this.#listening;
  }

  on(kind: string, handler: (body: unknown) => void | Promise<void>): void {
    this.#handlers.set(kind, handler);
  }

  /** Called after a dropped listening connection is back: messages may have been missed. */
  onResync(listener: () => void): void {
    this.#resync.push(listener);
  }

  async start(): Promise<void> {
    await this.#listen();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#listening = false;
    await this.#client?.end().catch(() => {});
  }

  async publish(kind: string, body: unknown): Promise<void> {
    let payload = JSON.stringify({ from: this.#o.nodeId, kind, body } satisfies Envelope);
    if (Buffer.byteLength(payload) > MAX_INLINE_BYTES) {
      const { rows } = await this.#o.db.query<{ id: string }>('INSERT INTO realtime_messages (body) VALUES ($1) RETURNING id', [
        payload,
      ]);
      payload = JSON.stringify({ from: this.#o.nodeId, kind, ref: rows[0]!.id } satisfies Envelope);
    }
    await this.#o.db.query('SELECT pg_notify($1, $2)', [BUS_CHANNEL, payload]);
  }

  async #listen(): Promise<void> {
    // named, so an operator (or a test) can find this process's listening connection
    const client = new pg.Client({ connectionString: this.#o.databaseUrl, application_name: `multiclaw-bus ${this.#o.nodeId}` });
    client.on('notification', (n) => {
      if (n.channel === BUS_CHANNEL && n.payload) void this.#receive(n.payload);
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    await client.connect();
    await client.query(`LISTEN ${BUS_CHANNEL}`);
    this.#client = client;
    this.#listening = true;
    this.#retryMs = RECONNECT_MIN_MS;
  }

  #lost(client: pg.Client, err?: Error): void {
    if (this.#client !== client || this.#stopped) return;
    this.#client = undefined;
    this.#listening = false;
    client.end().catch(() => {});
    this.#o.logger.warn({ event: 'cluster.bus_lost', err }, 'lost the listening connection; reconnecting');
    this.#reconnect();
  }

  #reconnect(): void {
    this.#retryTimer = setTimeout(() => {
      this.#listen().then(
        () => {
          this.#o.logger.info({ event: 'cluster.bus_back' }, 'listening again; re-checking what may have been missed');
          for (const listener of this.#resync) listener();
        },
        (err: unknown) => {
          this.#o.logger.debug({ event: 'cluster.bus_retry', err }, 'could not listen yet');
          this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
          this.#reconnect();
        },
      );
    }, this.#retryMs);
    this.#retryTimer.unref();
  }

  async #receive(payload: string): Promise<void> {
    try {
      let envelope = JSON.parse(payload) as Envelope;
      if (envelope.from === this.#o.nodeId) return;
      if (envelope.ref !== undefined) {
        const { rows } = await this.#o.db.query<{ body: string }>('SELECT body FROM realtime_messages WHERE id = $1', [
          envelope.ref,
        ]);
        if (!rows[0]) throw new Error(`message ${envelope.ref} is gone`);
        envelope = JSON.parse(rows[0].body) as Envelope;
      }
      const handler = this.#handlers.get(envelope.kind);
      if (!handler) throw new Error(`no handler for ${envelope.kind}`);
      await handler(envelope.body);
    } catch (err) {
      this.#o.logger.error({ event: 'cluster.message_failed', err }, 'could not apply a message from another cloud process');
    }
  }
}
