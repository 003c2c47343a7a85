import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffOptions, backoffDelay, type Clock, type Logger } from '@multiclaw-lab/kit';
import {
  CLOSE_CODES,
  HEARTBEAT,
  MAX_FRAME_BYTES,
  parseServerFrame,
  REALTIME_SUBPROTOCOL,
  type RealtimeTokenResponse,
  TOKEN_SUBPROTOCOL_PREFIX,
  type UserClientFrame,
  type UserServerFrame,
} from '@multiclaw-lab/protocol';
import WebSocket, { type ClientOptions } from 'ws';
import type { z } from 'zod';
import { tlsDefects } from './cloud-client.ts';
import { isUnauthorized } from './errors.ts';
import { mutant } from './mutant.ts';
import type { TlsSessionCache } from './tls-sessions.ts';
import { proxyAgentFor } from './ws-proxy.ts';

type TokenResponse = z.infer<typeof RealtimeTokenResponse>;
type Welcome = Extract<UserServerFrame, { type: 'welcome' }>;
export type TaskEventFrame = Extract<UserServerFrame, { type: 'event.task' }>;

export type RealtimeState = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
}

export interface RealtimeOptions {
  cloudUrl: URL;
  ca?: string | string[] | undefined;
  logger: Logger;
  clock: Clock;
  /** mints a WSS token with the bearer (POST /v1/realtime/token); a 401 from it stops the connection */
  mintToken: (signal: AbortSignal) => Promise<TokenResponse>;
  heartbeat?: HeartbeatOptions;
  backoff?: BackoffOptions;
  /** limit for the TLS/WebSocket handshake and for the welcome frame after it */
  handshakeTimeoutMs?: number;
  /** resume TLS sessions across reconnects (off by default, as the app ships); not through a proxy */
  tlsSessions?: TlsSessionCache;
}

export interface ReconnectedEvent {
  downtimeMs: number;
  attempts: number;
}

export interface DroppedEvent {
  code: number;
  reason: string;
}

interface Events {
  state: [RealtimeState];
  welcome: [Welcome];
  task: [TaskEventFrame];
  frame: [UserServerFrame];
  dropped: [DroppedEvent];
  reconnected: [ReconnectedEvent];
  /** the bearer was refused (401): the connection has stopped for good */
  unauthorized: [Error];
}

/** How one socket ended; `welcomed` says whether it ever got as far as the welcome frame. */
interface SocketOutcome {
  welcomed: boolean;
  code: number;
  reason: string;
}

/** How long a client-side close waits for the peer's close frame before dropping the TCP connection. */
const STOP_GRACE_MS = 1_000;

/** Close codes the client makes up locally, for drops the peer did not announce. */
const LOCAL_HEARTBEAT_TIMEOUT = CLOSE_CODES.heartbeatTimeout;

/**
 * The desktop app's real-time WSS to the cloud (channel `user`). One run loop per connect():
 * mint a fresh short-lived token with the bearer, open the socket with it in the subprotocol list,
 * wait for `welcome`, keep the peer honest with ping/pong, and on any drop come back by itself
 * with capped exponential backoff and full jitter. Never uses the password; stops only when told
 * to or when the cloud refuses the bearer (401).
 */
export class RealtimeConnection extends EventEmitter<Events> {
  #options: RealtimeOptions;
  #heartbeat: HeartbeatOptions;
  #state: RealtimeState = 'idle';
  #socket: WebSocket | undefined;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  /** the welcome of the socket that is open now; undefined while not connected */
  #welcome: Welcome | undefined;

  constructor(options: RealtimeOptions) {
    super();
    this.#options = options;
    this.#heartbeat = options.heartbeat ?? { ...HEARTBEAT };
  }

  get state(): RealtimeState {
    return this.#state;
  }

  /**
   * Starts the run loop (no-op when running). Resolves at the first welcome — at once with the
   * current one when already connected; rejects on 401 or stop().
   */
  start(): Promise<Welcome> {
    if (this.#state === 'connected' && this.#welcome) return Promise.resolve(this.#welcome);
    const connected = new Promise<Welcome>((resolve, reject) => {
      const cleanup = () => {
        this.off('welcome', onWelcome);
        this.off('unauthorized', onUnauthorized);
        this.off('state', onState);
      };
      const onWelcome = (w: Welcome) => {
        cleanup();
        resolve(w);
      };
      const onUnauthorized = (err: Error) => {
        cleanup();
        reject(err);
      };
      const onState = (s: RealtimeState) => {
        if (s === 'idle') {
          cleanup();
          reject(new Error('the real-time connection was stopped before it was established'));
        }
      };
      this.on('welcome', onWelcome);
      this.on('unauthorized', onUnauthorized);
      this.on('state', onState);
    });
    if (!this.#loop) {
      this.#abort = new AbortController();
      const signal = this.#abort.signal;
      this.#loop = this.#run(signal).finally(() => {
        this.#loop = undefined;
        this.#setState('idle');
      });
    }
    return connected;
  }

  /** Sends a frame on the open socket (WebRTC signalling); false when there is no open socket. */
  send(frame: UserClientFrame): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || this.#state !== 'connected') return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Closes the socket (1000) and ends the run loop; no reconnect follows. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    const socket = this.#socket;
    let force: NodeJS.Timeout | undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      socket.close(CLOSE_CODES.normal, 'client disconnect');
      // ws waits up to 30 s for the peer's close frame; over a dead link that would hang sign-out.
      force = setTimeout(() => socket.terminate(), STOP_GRACE_MS);
    }
    await this.#loop;
    clearTimeout(force);
  }

  #setState(state: RealtimeState): void {
    if (this.#state === state) return;
    if (state !== 'connected') this.#welcome = undefined;
    this.#state = state;
    this.emit('state', state);
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { logger, clock } = this.#options;
    const backoff = this.#options.backoff;
    let attempts = 0; // connection attempts since the last welcome (or since start)
    let droppedAt: number | undefined; // when the last welcomed socket went away
    let waitFirst = false; // the first attempt, and the one after a 4001/4003, go at once
    while (!signal.aborted) {
      if (waitFirst) {
        const delayMs = backoffDelay(Math.max(0, attempts - 1), backoff);
        logger.info({ event: 'realtime.backoff', attempt: attempts + 1, delayMs }, 'waiting before reconnecting');
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          return; // stopped while waiting
        }
      }
      attempts += 1;
      this.#setState(droppedAt === undefined && attempts === 1 ? 'connecting' : 'reconnecting');
      let token: TokenResponse;
      try {
        token = await this.#options.mintToken(signal);
      } catch (err) {
        if (signal.aborted) return;
        if (isUnauthorized(err)) {
          logger.warn({ event: 'realtime.unauthorized', attempts, err }, 'the cloud refused the bearer; not retrying');
          this.emit('unauthorized', err as Error);
          return;
        }
        logger.warn({ event: 'realtime.token_failed', attempt: attempts, err }, 'could not mint a WSS token');
        waitFirst = true;
        continue;
      }
      if (signal.aborted) return;
      const onWelcome = () => {
        if (droppedAt !== undefined) {
          const event = { downtimeMs: clock.now() - droppedAt, attempts };
          logger.info({ event: 'realtime.reconnected', ...event }, 'real-time connection restored');
          this.emit('reconnected', event);
        }
        droppedAt = undefined;
        attempts = 0;
      };
      const outcome = await this.#openSocket(token, signal, onWelcome);
      if (signal.aborted) return;
      if (outcome.welcomed) droppedAt = clock.now();
      this.emit('dropped', { code: outcome.code, reason: outcome.reason });
      if (mutant('desktop-no-reconnect') && outcome.welcomed) return;
      // 4001: the token expired, mint a new one and come back at once. 4003: the credential may be
      // gone; exactly one mint decides (401 → signed out). Anything else is an outage: back off.
      waitFirst = !(outcome.code === CLOSE_CODES.tokenExpired || outcome.code === CLOSE_CODES.revoked);
    }
  }

  /**
   * ws calls `createConnection` with the request's options object only; its type names every
   * overload of net.connect, which a TLS connector taking options cannot match.
   */
  #resumingConnector(): { createConnection?: ClientOptions['createConnection'] } {
    const sessions = this.#options.tlsSessions;
    return sessions ? { createConnection: sessions.connect as unknown as ClientOptions['createConnection'] } : {};
  }

  /** Opens one socket and resolves when it has closed, however that happened. */
  #openSocket(token: TokenResponse, signal: AbortSignal, onWelcome: () => void): Promise<SocketOutcome> {
    const { logger, ca } = this.#options;
    const url = new URL(token.path, this.#options.cloudUrl);
    url.protocol = 'wss:';
    const agent = proxyAgentFor(url);
    const timeoutMs = this.#options.handshakeTimeoutMs ?? 10_000;
    logger.info({ event: 'realtime.connecting', url: url.toString(), viaProxy: agent !== undefined }, 'opening WSS');
    const socket = new WebSocket(url, [REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token.token], {
      handshakeTimeout: timeoutMs,
      maxPayload: MAX_FRAME_BYTES,
      minVersion: 'TLSv1.2',
      perMessageDeflate: false,
      ...(ca ? { ca } : {}),
      ...tlsDefects(),
      ...(agent ? { agent } : this.#resumingConnector()),
    });
    this.#socket = socket;
    return new Promise<SocketOutcome>((resolve) => {
      let welcomed = false;
      let localClose: { code: number; reason: string } | undefined;
      let pingTimer: NodeJS.Timeout | undefined;
      let pongTimer: NodeJS.Timeout | undefined;
      const welcomeTimer = setTimeout(() => {
        localClose = { code: CLOSE_CODES.goingAway, reason: 'no welcome frame in time' };
        socket.terminate();
      }, timeoutMs);

      const startHeartbeat = () => {
        pingTimer = setInterval(() => {
          if (pongTimer) return; // still waiting for the previous pong
          pongTimer = setTimeout(() => {
            logger.warn({ event: 'realtime.heartbeat_timeout', timeoutMs: this.#heartbeat.timeoutMs }, 'no pong: peer is gone');
            localClose = { code: LOCAL_HEARTBEAT_TIMEOUT, reason: 'heartbeat timeout' };
            socket.terminate();
          }, this.#heartbeat.timeoutMs);
          socket.ping();
        }, this.#heartbeat.intervalMs);
      };

      socket.on('open', () => {
        if (socket.protocol !== REALTIME_SUBPROTOCOL) {
          localClose = { code: CLOSE_CODES.malformed, reason: `server chose subprotocol "${socket.protocol}"` };
          socket.close(CLOSE_CODES.malformed, 'wrong subprotocol');
          return;
        }
        startHeartbeat();
      });
      socket.on('pong', () => {
        clearTimeout(pongTimer);
        pongTimer = undefined;
      });
      socket.on('message', (data, isBinary) => {
        if (isBinary) {
          logger.warn({ event: 'realtime.frame_refused', reason: 'binary' }, 'ignored a binary frame');
          return;
        }
        let frame: UserServerFrame;
        try {
          frame = parseServerFrame('user', data as Buffer);
        } catch (err) {
          logger.warn({ event: 'realtime.frame_refused', err }, 'ignored a malformed frame');
          return;
        }
        this.#onFrame(frame, () => {
          welcomed = true;
          clearTimeout(welcomeTimer);
          this.#setState('connected');
          onWelcome();
        });
      });
      socket.on('error', (err) => {
        logger.warn({ event: 'realtime.error', err }, 'WSS error');
      });
      socket.on('close', (code, reasonBuffer) => {
        clearTimeout(welcomeTimer);
        clearInterval(pingTimer);
        clearTimeout(pongTimer);
        if (this.#socket === socket) this.#socket = undefined;
        const outcome = { welcomed, code: localClose?.code ?? code, reason: localClose?.reason ?? reasonBuffer.toString('utf8') };
        const event = signal.aborted ? 'realtime.closed' : 'realtime.dropped';
        logger.info({ event, code: outcome.code, reason: outcome.reason, welcomed }, 'WSS closed');
        resolve(outcome);
      });
    });
  }

  #onFrame(frame: UserServerFrame, welcomed: () => void): void {
    const { logger } = this.#options;
    this.emit('frame', frame);
    switch (frame.type) {
      case 'welcome':
        logger.info({ event: 'realtime.connected', connectionId: frame.connectionId, expiresAt: frame.expiresAt }, 'welcome');
        this.#welcome = frame;
        welcomed();
        this.emit('welcome', frame);
        break;
      case 'event.task':
        logger.info(
          {
            event: 'realtime.task',
            workspaceId: frame.workspaceId,
            taskId: frame.status.taskId,
            seq: frame.status.seq,
            state: frame.status.state,
          },
          'task event',
        );
        this.emit('task', frame);
        break;
      case 'error':
        logger.warn(
          { event: 'realtime.error_frame', code: frame.code, message: frame.message, ref: frame.ref },
          'cloud refused a frame',
        );
        break;
      default:
        // WebRTC signalling frames: exposed through 'frame' for a viewer; nothing to do here.
        break;
    }
  }
}
