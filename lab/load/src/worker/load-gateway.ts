/**
 * One gateway at the protocol level, linked to the cloud as a real gateway is: its workspace
 * token (`mcg_`) mints a fresh WSS token for every connection, the socket opens on the gateway
 * channel, drops reconnect with capped, fully jittered backoff (4001 at once with a new token;
 * 4003 or a 401 when minting stops it for good), and its status outbox is attached on every open,
 * so unacknowledged statuses go out again after a reconnect. Config syncs are acknowledged as the
 * gateway does. It does not ping: the storm's cut closes every connection, which is what it sees.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from '@multiclaw-lab/kit';
import {
  CLOSE_CODES,
  type GatewayClientFrame,
  type GatewayServerFrame,
  parseServerFrame,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  RealtimeTokenResponse,
  routes,
  TOKEN_SUBPROTOCOL_PREFIX,
} from '@multiclaw-lab/protocol';
import { type Agent, request, WebSocket } from 'undici';
import type { StatusOutbox } from './status-outbox.ts';

export interface LoadGatewayOptions {
  cloudUrl: string;
  /** the workspace auth token (`mcg_`): used only to mint WSS tokens */
  authToken: string;
  /** for minting tokens (a few connections, shared) */
  agent: Agent;
  /** for the sockets: each holds its connection for good, so this one has no limit */
  socketAgent: Agent;
  outbox: StatusOutbox;
  backoff?: BackoffOptions;
  events: {
    /** a welcome: the first one, or one after a drop (with how long the gateway was off) */
    welcome(first: boolean, downtimeMs: number | undefined): void;
    dropped(): void;
    /** the cloud refused the workspace token: the gateway stopped for good */
    refused(reason: string): void;
  };
}

class Refused extends Error {}

/** How long stop() waits for the cloud's close frame before leaving the socket behind. */
const STOP_GRACE_MS = 1_000;

export class LoadGateway {
  readonly #o: LoadGatewayOptions;
  readonly #stop = new AbortController();
  #socket: WebSocket | undefined;
  #running: Promise<void> | undefined;
  #statusRetries = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  connected = false;
  /** when the latest welcome came (epoch ms) */
  welcomedAt: number | undefined;
  #everWelcomed = false;
  #droppedAt: number | undefined;

  constructor(options: LoadGatewayOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    clearTimeout(this.#retryTimer);
    // a WebSocket API client may close only with 1000 or 3000–4999
    this.#socket?.close(CLOSE_CODES.normal, 'load gateway stopping');
    await Promise.race([this.#running, sleep(STOP_GRACE_MS)]);
  }

  async #run(): Promise<void> {
    const backoff = this.#o.backoff ?? DEFAULT_BACKOFF;
    let attempt = 0;
    let lastCode: number | undefined;
    while (!this.#stop.signal.aborted) {
      let end: { code: number; opened: boolean };
      try {
        end = await this.#session(await this.#mint());
      } catch (err) {
        if (err instanceof Refused) return this.#o.events.refused(err.message);
        end = { code: 0, opened: false };
      }
      if (this.#stop.signal.aborted) return;
      if (end.code === CLOSE_CODES.revoked) return this.#o.events.refused('the cloud closed the socket with 4003');
      if (end.opened) attempt = 0;
      // an expired token is fixed by a new one, at once (but not twice in a row)
      if (end.code === CLOSE_CODES.tokenExpired && lastCode !== CLOSE_CODES.tokenExpired) {
        lastCode = end.code;
        continue;
      }
      lastCode = end.code;
      try {
        await sleep(backoffDelay(attempt++, backoff), undefined, { signal: this.#stop.signal });
      } catch {
        return;
      }
    }
  }

  async #mint(): Promise<string> {
    const res = await request(new URL(routes.mintRealtimeToken.path, this.#o.cloudUrl), {
      method: 'POST',
      dispatcher: this.#o.agent,
      signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(30_000)]),
      headers: { authorization: `Bearer ${this.#o.authToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'gateway' }),
    });
    const text = await res.body.text();
    if (res.statusCode === 401) throw new Refused('the cloud refused the workspace token (401)');
    if (res.statusCode !== 200) throw new Error(`minting a WSS token answered ${res.statusCode}`);
    return RealtimeTokenResponse.parse(JSON.parse(text)).token;
  }

  #send(frame: GatewayClientFrame): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** One WebSocket session, from handshake to close. */
  #session(token: string): Promise<{ code: number; opened: boolean }> {
    const url = new URL(REALTIME_PATH.gateway, this.#o.cloudUrl);
    url.protocol = 'wss:';
    const socket = new WebSocket(url, {
      protocols: [REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token],
      dispatcher: this.#o.socketAgent,
    });
    this.#socket = socket;
    const { outbox } = this.#o;
    return new Promise((resolve) => {
      let opened = false;
      socket.addEventListener('open', () => {
        opened = true;
        // as the gateway does: the oldest unacknowledged status goes out on every open
        outbox.attach((frame) => this.#send(frame));
      });
      socket.addEventListener('message', (event) => {
        let frame: GatewayServerFrame;
        try {
          frame = parseServerFrame('gateway', event.data as string);
        } catch {
          return;
        }
        this.#onFrame(frame);
      });
      // an error is followed by close, which ends the session
      socket.addEventListener('error', () => undefined);
      socket.addEventListener('close', (event) => {
        if (this.#socket === socket) this.#socket = undefined;
        outbox.detach();
        clearTimeout(this.#retryTimer);
        if (this.connected) {
          this.connected = false;
          this.#droppedAt = Date.now();
          if (!this.#stop.signal.aborted) this.#o.events.dropped();
        }
        resolve({ code: event.code, opened });
      });
    });
  }

  #onFrame(frame: GatewayServerFrame): void {
    const { outbox } = this.#o;
    switch (frame.type) {
      case 'welcome': {
        this.connected = true;
        this.welcomedAt = Date.now();
        const first = !this.#everWelcomed;
        this.#everWelcomed = true;
        this.#o.events.welcome(first, this.#droppedAt === undefined ? undefined : this.welcomedAt - this.#droppedAt);
        this.#droppedAt = undefined;
        return;
      }
      case 'task.status.ack':
        this.#statusRetries = 0;
        outbox.ack(frame.taskId, frame.seq);
        return;
      case 'task.status.nack':
        outbox.nack(frame.taskId, frame.expectedSeq);
        return;
      case 'error':
        // refused without an ack or nack ("retry"): the in-flight status goes again after a backoff delay
        if (frame.ref === 'task.status') {
          clearTimeout(this.#retryTimer);
          const delayMs = backoffDelay(this.#statusRetries++, this.#o.backoff ?? DEFAULT_BACKOFF);
          this.#retryTimer = setTimeout(() => outbox.resendInFlight(), delayMs);
        }
        return;
      case 'config.sync':
        this.#send({ type: 'config.ack', version: frame.version });
        return;
      case 'transcript.ack':
        return;
    }
  }
}
