import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffOptions, backoffDelay, type Logger } from '@multiclaw-lab/kit';
import {
  CLOSE_CODES,
  type DaemonClientFrame,
  type DaemonServerFrame,
  type GatewayClientFrame,
  type GatewayLinkState,
  type GatewayServerFrame,
  MAX_FRAME_BYTES,
  ProtocolError,
  parseServerFrame,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  RealtimeTokenResponse,
  TOKEN_SUBPROTOCOL_PREFIX,
} from '@multiclaw-lab/protocol';
import { type Dispatcher, fetch } from 'undici';
import WebSocket from 'ws';
import { mutant } from './mutant.ts';
import { anyCertificate, type TlsTrust, wsProxyAgent } from './network.ts';

export type LinkChannel = 'gateway' | 'daemon';
export type OutgoingFrame = GatewayClientFrame | DaemonClientFrame;
export type IncomingFrame = GatewayServerFrame | DaemonServerFrame;

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
}

export interface CloudLinkOptions {
  cloudUrl: string;
  /** the long-lived credential (`mcg_` or `mci_`); used only to mint WSS tokens */
  credential: string;
  channel: LinkChannel;
  dispatcher: Dispatcher;
  trust: TlsTrust;
  backoff: BackoffOptions;
  heartbeat: HeartbeatOptions;
  logger: Logger;
  onOpen: () => void;
  onFrame: (frame: IncomingFrame) => void;
  onClose: () => void;
  onRevoked: (reason: string) => void;
  onState: (state: GatewayLinkState) => void;
  /** called only by the mutant 'gateway-session-token-on-disk', with each session's token */
  onSessionToken?: (token: string) => void;
}

class CredentialRevoked extends Error {}

/** How long stop() waits for the cloud's close frame before dropping the TCP connection. */
const STOP_GRACE_MS = 1_000;
/** the mutant 'gateway-reconnect-no-backoff' retries on this fixed, unjittered beat */
const NO_BACKOFF_MS = 100;

interface SessionEnd {
  code: number;
  opened: boolean;
}

/**
 * The gateway's own WSS to the cloud. Each connection gets a fresh WSS token minted with the
 * long-lived credential; the token lives only in this function's locals and the socket's
 * handshake, never on disk or in a log. Drops reconnect with capped, fully jittered backoff;
 * 4001 reconnects at once with a new token; 4003 or a 401 when minting means the credential was
 * revoked, and the link stops for good.
 */
export class CloudLink {
  readonly #o: CloudLinkOptions;
  readonly #stop = new AbortController();
  #socket: WebSocket | undefined;
  #running: Promise<void> | undefined;

  constructor(options: CloudLinkOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running ??= this.#run().catch((err: unknown) => {
      this.#o.logger.error({ event: 'link.crashed', err }, 'cloud link loop failed');
    });
  }

  send(frame: OutgoingFrame): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    const socket = this.#socket;
    let force: NodeJS.Timeout | undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      socket.close(CLOSE_CODES.goingAway, 'gateway stopping');
      // ws waits up to 30 s for the peer's close frame; over a dead link that would hold the
      // gateway's shutdown until it is killed.
      force = setTimeout(() => socket.terminate(), STOP_GRACE_MS);
    }
    await this.#running;
    clearTimeout(force);
  }

  async #run(): Promise<void> {
    const { logger, channel } = this.#o;
    let attempt = 0;
    let lastCode: number | undefined;
    // only the mutant 'gateway-reuses-session-token' keeps a session's token past its session
    let previousToken: string | undefined;
    while (!this.#stop.signal.aborted) {
      this.#o.onState('connecting');
      let end: SessionEnd;
      try {
        const token = mutant('gateway-reuses-session-token') && previousToken ? previousToken : await this.#mint();
        if (mutant('gateway-reuses-session-token')) previousToken = token;
        if (mutant('gateway-session-token-on-disk')) this.#o.onSessionToken?.(token);
        end = await this.#session(token);
      } catch (err) {
        if (err instanceof CredentialRevoked) return this.#revoked('the cloud refused the workspace credential (401)');
        if (this.#stop.signal.aborted) return;
        logger.warn({ event: 'token.mint_failed', channel, err: describe(err) }, 'could not mint a WSS token');
        end = { code: 0, opened: false };
      }
      if (this.#stop.signal.aborted) return;
      if (end.code === CLOSE_CODES.revoked) return this.#revoked('the cloud closed the socket with 4003');
      if (end.opened) attempt = 0;
      this.#o.onState('offline');
      // 4001: the token expired; a new one fixes it, so no wait (but not twice in a row, so a
      // confused server cannot make us spin).
      if (end.code === CLOSE_CODES.tokenExpired && lastCode !== CLOSE_CODES.tokenExpired) {
        lastCode = end.code;
        logger.info({ event: 'ws.reconnect_scheduled', delayMs: 0, attempt, reason: 'token expired' });
        continue;
      }
      lastCode = end.code;
      const delayMs = mutant('gateway-reconnect-no-backoff') ? NO_BACKOFF_MS : backoffDelay(attempt, this.#o.backoff);
      logger.info({ event: 'ws.reconnect_scheduled', delayMs, attempt });
      attempt += 1;
      try {
        await sleep(delayMs, undefined, { signal: this.#stop.signal });
      } catch {
        return;
      }
    }
  }

  #revoked(reason: string): void {
    this.#o.logger.warn(
      { event: 'workspace.revoked', channel: this.#o.channel, reason },
      'workspace credential revoked; not reconnecting',
    );
    this.#o.onRevoked(reason);
  }

  /** POST /v1/realtime/token with the long-lived credential; the answer's token is returned, never kept. */
  async #mint(): Promise<string> {
    const response = await fetch(new URL('/v1/realtime/token', this.#o.cloudUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#o.credential}` },
      body: JSON.stringify({ channel: this.#o.channel }),
      dispatcher: this.#o.dispatcher,
      signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(30_000)]),
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status === 401) throw new CredentialRevoked();
    if (!response.ok) throw new Error(`token endpoint answered HTTP ${response.status}`);
    const parsed = RealtimeTokenResponse.safeParse(body);
    if (!parsed.success) throw new Error('token endpoint sent an unexpected body');
    this.#o.logger.info({ event: 'token.minted', channel: this.#o.channel, expiresAt: parsed.data.expiresAt });
    return parsed.data.token;
  }

  /** One WebSocket session, from handshake to close. */
  #session(token: string): Promise<SessionEnd> {
    const { logger, channel, heartbeat } = this.#o;
    const url = new URL(REALTIME_PATH[channel], this.#o.cloudUrl);
    url.protocol = 'wss:';
    const agent = wsProxyAgent(url.toString(), this.#o.trust);
    logger.info({ event: 'ws.connecting', channel, host: url.host, proxied: agent !== undefined });
    const socket = new WebSocket(url, [REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token], {
      ...(this.#o.trust.ca ? { ca: this.#o.trust.ca } : {}),
      ...anyCertificate(),
      ...(agent ? { agent } : {}),
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 30_000,
    });
    this.#socket = socket;
    return new Promise((resolve) => {
      let opened = false;
      let pingTimer: NodeJS.Timeout | undefined;
      let pongTimer: NodeJS.Timeout | undefined;
      const stopHeartbeat = () => {
        clearInterval(pingTimer);
        clearTimeout(pongTimer);
      };
      socket.on('open', () => {
        opened = true;
        logger.info({
          event: 'ws.open',
          channel,
          protocol: socket.protocol === REALTIME_SUBPROTOCOL ? socket.protocol : 'unexpected',
        });
        this.#o.onState('connected');
        // A half-open connection shows no error; only a missing pong reveals it.
        pingTimer = setInterval(() => {
          if (pongTimer) return;
          socket.ping();
          pongTimer = setTimeout(() => {
            logger.warn(
              { event: 'ws.heartbeat_timeout', timeoutMs: heartbeat.timeoutMs },
              'no pong in time; dropping the connection',
            );
            socket.terminate();
          }, heartbeat.timeoutMs);
        }, heartbeat.intervalMs);
        this.#o.onOpen();
      });
      socket.on('pong', () => {
        clearTimeout(pongTimer);
        pongTimer = undefined;
      });
      socket.on('message', (data, isBinary) => {
        if (isBinary) return logger.warn({ event: 'ws.binary_ignored' });
        let frame: IncomingFrame;
        try {
          // the defect of `sync-key-sealed-by-gateway` takes plaintext keys, which the schema refuses
          frame = mutant('sync-key-sealed-by-gateway')
            ? (JSON.parse(data.toString()) as IncomingFrame)
            : (parseServerFrame(channel, data as Buffer) as IncomingFrame);
        } catch (err) {
          const message = err instanceof ProtocolError ? err.message : 'unreadable frame';
          return logger.warn({ event: 'ws.malformed_frame', message });
        }
        this.#o.onFrame(frame);
      });
      socket.on('unexpected-response', (_req, res) => {
        logger.warn({ event: 'ws.upgrade_refused', status: res.statusCode });
        res.resume();
        socket.terminate();
      });
      socket.on('error', (err) => {
        logger.warn({ event: 'ws.error', err: describe(err) });
      });
      socket.on('close', (code, reason) => {
        stopHeartbeat();
        if (this.#socket === socket) this.#socket = undefined;
        logger.info({ event: 'ws.closed', channel, code, reason: reason.toString('utf8').slice(0, 200), opened });
        if (opened) this.#o.onClose();
        resolve({ code, opened });
      });
    });
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? e.message ?? String(err);
}
