import { randomBytes } from 'node:crypto';
import type { Logger } from '@multiclaw-lab/kit';
import type { ChannelKind, ServerFrame } from '@multiclaw-lab/protocol';
import type pg from 'pg';
import { mutant } from '../mutant.ts';
import { Bus } from './bus.ts';
import type { Hub, Session } from './hub.ts';
import { matchesAny, type SessionMatch } from './session-match.ts';

/** How often a process says it is alive, and after how long without that it counts as dead. */
const HEARTBEAT_MS = 2_000;
const LIVE_WITHIN = '6 seconds';
const FORGET_AFTER = '30 seconds';

export interface ClusterOptions {
  /** the name in every log line (`node`), e.g. the lab's service id; default `cloud` */
  name: string;
  databaseUrl: string;
  db: pg.Pool;
  hub: Hub;
  logger: Logger;
}

/** Where a gateway or cloud-desktop session is open. */
export interface Presence {
  sessionId: string;
  nodeId: string;
}

/**
 * This cloud process among the others sharing its database (behind a load balancer a desktop
 * app and its gateway may sit on different processes): revocations and pushes reach the
 * sessions of every process, and any process can tell whether an instance is connected and
 * where. Everything is applied here first, at once, then sent to the others.
 */
export class Cluster {
  readonly nodeId = `node_${randomBytes(8).toString('hex')}`;
  readonly bus: Bus;
  readonly #o: ClusterOptions;
  /** presence writes per session, chained so a delete never overtakes its insert */
  readonly #presence = new Map<string, Promise<unknown>>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: ClusterOptions) {
    this.#o = options;
    this.bus = new Bus({ nodeId: this.nodeId, databaseUrl: options.databaseUrl, db: options.db, logger: options.logger });
    this.bus.on('close', (body) => {
      const { match, code, reason } = body as { match: SessionMatch[]; code: number; reason: string };
      options.hub.close((s) => matchesAny(s, match), code, reason);
    });
    this.bus.on('send', (body) => {
      const { match, frame } = body as { match: SessionMatch; frame: ServerFrame<ChannelKind> };
      for (const s of options.hub.where((s) => matchesAny(s, [match]))) options.hub.send(s, frame);
    });
    options.hub.onAdd((s) => this.#track(s));
    options.hub.onRemove((s) => this.#untrack(s));
  }

  async start(): Promise<void> {
    await this.#register();
    await this.bus.start();
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
    this.#o.logger.info({ event: 'cluster.joined', nodeId: this.nodeId }, 'cloud process registered');
  }

  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.bus.stop();
    await Promise.allSettled(this.#presence.values());
    await this.#o.db.query('DELETE FROM realtime_nodes WHERE node_id = $1', [this.nodeId]).catch(() => {});
  }

  /** Closes the matching sessions here and on every other process; returns how many were here. */
  close(match: SessionMatch[], code: number, reason: string): number {
    const here = this.#o.hub.close((s) => matchesAny(s, match), code, reason);
    if (!mutant('revocation-on-one-instance-only')) this.#publish('close', { match, code, reason });
    return here;
  }

  /** Sends `frame` to the matching sessions here and on every other process. */
  send(match: SessionMatch, frame: ServerFrame<ChannelKind>): void {
    for (const s of this.#o.hub.where((s) => matchesAny(s, [match]))) this.#o.hub.send(s, frame);
    this.#publish('send', { match, frame });
  }

  /** Which of `instanceIds` have a gateway or cloud-desktop session open on a live process. */
  async connected(instanceIds: string[]): Promise<Set<string>> {
    const here = this.#o.hub.where((s) => s.channel !== 'user' && s.instanceId !== null && instanceIds.includes(s.instanceId));
    const found = new Set(here.map((s) => s.instanceId!));
    if (found.size === instanceIds.length) return found;
    const { rows } = await this.#o.db.query<{ instance_id: string }>(
      `SELECT DISTINCT p.instance_id FROM realtime_presence p JOIN realtime_nodes n USING (node_id)
        WHERE p.instance_id = ANY($1) AND n.seen_at > now() - interval '${LIVE_WITHIN}'`,
      [instanceIds],
    );
    for (const r of rows) found.add(r.instance_id);
    return found;
  }

  /** The newest open session of `channel` for an instance, on this process or a live other one. */
  async locate(channel: Exclude<ChannelKind, 'user'>, instanceId: string): Promise<Presence | undefined> {
    const [local] = this.#o.hub.where((s) => s.channel === channel && s.instanceId === instanceId);
    if (local) return { sessionId: local.id, nodeId: this.nodeId };
    const { rows } = await this.#o.db.query<{ session_id: string; node_id: string }>(
      `SELECT p.session_id, p.node_id FROM realtime_presence p JOIN realtime_nodes n USING (node_id)
        WHERE p.instance_id = $1 AND p.channel = $2 AND n.seen_at > now() - interval '${LIVE_WITHIN}'
        ORDER BY p.opened_at DESC LIMIT 1`,
      [instanceId, channel],
    );
    return rows[0] ? { sessionId: rows[0].session_id, nodeId: rows[0].node_id } : undefined;
  }

  #publish(kind: string, body: unknown): void {
    this.bus
      .publish(kind, body)
      .catch((err: unknown) =>
        this.#o.logger.error({ event: 'cluster.publish_failed', kind, err }, 'could not tell the other cloud processes'),
      );
  }

  async #register(): Promise<void> {
    await this.#o.db.query('INSERT INTO realtime_nodes (node_id, name) VALUES ($1, $2) ON CONFLICT (node_id) DO NOTHING', [
      this.nodeId,
      this.#o.name,
    ]);
  }

  async #beat(): Promise<void> {
    try {
      const { rowCount } = await this.#o.db.query('UPDATE realtime_nodes SET seen_at = now() WHERE node_id = $1', [this.nodeId]);
      if (rowCount === 0) {
        // Taken for dead (a long pause, a database restored): register again with every session.
        await this.#register();
        for (const s of this.#o.hub.where(() => true)) this.#track(s);
        this.#o.logger.warn({ event: 'cluster.rejoined', nodeId: this.nodeId }, 'registered again after being taken for dead');
      }
      await this.#o.db.query(`DELETE FROM realtime_nodes WHERE seen_at < now() - interval '${FORGET_AFTER}'`);
      await this.#o.db.query(`DELETE FROM realtime_messages WHERE created_at < now() - interval '1 minute'`);
    } catch (err) {
      this.#o.logger.warn({ event: 'cluster.heartbeat_failed', err }, 'could not refresh this process in the database');
    }
  }

  #track(s: Session): void {
    if (s.channel === 'user' || s.instanceId === null) return;
    this.#chain(s.id, () =>
      this.#o.db.query(
        `INSERT INTO realtime_presence (session_id, node_id, channel, instance_id) VALUES ($1, $2, $3, $4)
          ON CONFLICT (session_id) DO NOTHING`,
        [s.id, this.nodeId, s.channel, s.instanceId],
      ),
    );
  }

  #untrack(s: Session): void {
    if (!this.#presence.has(s.id)) return;
    this.#chain(s.id, () => this.#o.db.query('DELETE FROM realtime_presence WHERE session_id = $1', [s.id]), true);
  }

  #chain(sessionId: string, write: () => Promise<unknown>, last = false): void {
    const previous = this.#presence.get(sessionId) ?? Promise.resolve();
    const next = previous
      .then(write)
      .catch((err: unknown) =>
        this.#o.logger.warn({ event: 'cluster.presence_failed', sessionId, err }, 'could not record where a session is open'),
      );
    this.#presence.set(sessionId, next);
    if (last) void next.then(() => this.#presence.get(sessionId) === next && this.#presence.delete(sessionId));
  }
}
