import { randomBytes } from 'node:crypto';
import { createLogger, systemClock } from '@multiclaw-lab/kit';
import { REALTIME_PATH } from '@multiclaw-lab/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeConnection, type RealtimeOptions } from './realtime.ts';
import { StandInCloud } from './testing/stand-in-cloud.ts';
import { type HandshakeKind, TlsSessionCache } from './tls-sessions.ts';

describe('TLS session resumption on the real-time connection', () => {
  let cloud: StandInCloud;

  beforeAll(async () => {
    cloud = await StandInCloud.start();
  });
  afterAll(async () => {
    await cloud.close();
  });

  /** A connection to the stand-in whose tokens are accepted as minted (this file is about TLS, not minting). */
  function connection(tlsSessions?: TlsSessionCache): RealtimeConnection {
    const mintToken: RealtimeOptions['mintToken'] = async () => {
      const token = `t${randomBytes(12).toString('hex')}`;
      cloud.wssTokens.add(token);
      return { token, channel: 'user', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), path: REALTIME_PATH.user };
    };
    return new RealtimeConnection({
      cloudUrl: new URL(cloud.url),
      ca: cloud.ca.certPem,
      logger: createLogger({ service: 'tls-sessions-test', level: 'silent' }),
      clock: systemClock,
      mintToken,
      backoff: { baseMs: 10, capMs: 50 },
      ...(tlsSessions ? { tlsSessions } : {}),
    });
  }

  /** Connects, has the cloud drop the socket, and returns how the cloud saw each of the two handshakes. */
  async function connectDropReconnect(conn: RealtimeConnection): Promise<boolean[]> {
    const first = cloud.nextConnection();
    await conn.start();
    const dropped = await first;
    const second = cloud.nextConnection();
    dropped.socket.terminate();
    const again = await second;
    return [dropped.resumed, again.resumed];
  }

  it('resumes the session the cloud issued when it reconnects, so the cloud skips the certificate exchange', async () => {
    const kinds: HandshakeKind[] = [];
    const conn = connection(new TlsSessionCache((kind) => kinds.push(kind)));
    try {
      expect(await connectDropReconnect(conn)).toEqual([false, true]);
      expect(kinds).toEqual(['full', 'resumed']);
    } finally {
      await conn.stop();
    }
  });

  it('does not resume by default: every connection is a full handshake', async () => {
    const conn = connection();
    try {
      expect(await connectDropReconnect(conn)).toEqual([false, false]);
    } finally {
      await conn.stop();
    }
  });

  it('falls back to a full handshake when the cloud cannot use the offered session (new ticket keys)', async () => {
    const kinds: HandshakeKind[] = [];
    const conn = connection(new TlsSessionCache((kind) => kinds.push(kind)));
    try {
      const first = cloud.nextConnection();
      await conn.start();
      const dropped = await first;
      // another instance, or a restart: the tickets it issued cannot be decrypted any more
      cloud.server.setTicketKeys(randomBytes(48));
      const second = cloud.nextConnection();
      dropped.socket.terminate();
      expect((await second).resumed).toBe(false);
      expect(kinds).toEqual(['full', 'full']);
    } finally {
      await conn.stop();
    }
  });
});
