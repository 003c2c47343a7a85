import { connect as tlsConnect } from 'node:tls';
import { LabError } from '@multiclaw-lab/kit';
import {
  type ChannelKind,
  parseServerFrame,
  REALTIME_PATH,
  REALTIME_SUBPROTOCOL,
  type ServerFrame,
  TOKEN_SUBPROTOCOL_PREFIX,
} from '@multiclaw-lab/protocol';
import { WebSocket } from 'ws';

/** A real-time session the harness holds open itself, as one more client of the cloud. */
export interface HeldRealtime {
  /** the cloud's id for it (from its welcome frame): what the cloud's log lines name */
  connectionId: string;
  /** resolves when the socket closes, with the close code the cloud sent (1006: none, cut) */
  closed: Promise<{ code: number; reason: string }>;
  frames: ServerFrame<ChannelKind>[];
  close(): void;
}

export interface HoldOptions {
  baseUrl: string;
  caPem: string;
  /** the lab's out-of-band unix socket into the cloud host; TLS is still verified for the URL's name */
  socketPath?: string;
}

/** Opens a WSS session with `token` and waits for the cloud's welcome. */
export async function holdRealtime(options: HoldOptions, channel: ChannelKind, token: string): Promise<HeldRealtime> {
  const url = `${options.baseUrl.replace(/^https:/, 'wss:')}${REALTIME_PATH[channel]}`;
  const servername = new URL(options.baseUrl).hostname;
  const { socketPath } = options;
  const socket = new WebSocket(url, [REALTIME_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + token], {
    ca: options.caPem,
    handshakeTimeout: 15_000,
    // through the unix socket, TLS still verified for the public name
    ...(socketPath ? { createConnection: () => tlsConnect({ path: socketPath, servername, ca: options.caPem }) } : {}),
  });
  const frames: ServerFrame<ChannelKind>[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const welcome = new Promise<string>((resolve, reject) => {
    socket.on('message', (raw) => {
      const frame = parseServerFrame(channel, raw as Buffer);
      frames.push(frame);
      if (frame.type === 'welcome') resolve(frame.connectionId);
    });
    socket.once('error', (err) =>
      reject(new LabError('LAB_CLOUD_API', `the ${channel} real-time session did not open: ${err.message}`, { cause: err })),
    );
    void closed.then((c) =>
      reject(new LabError('LAB_CLOUD_API', `the ${channel} real-time session closed (${c.code}) before its welcome`)),
    );
  });
  const connectionId = await welcome;
  return { connectionId, closed, frames, close: () => socket.close() };
}
