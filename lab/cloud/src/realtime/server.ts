import { randomBytes } from 'node:crypto';
import type { Server } from 'node:https';
import { CLOSE_CODES, MAX_FRAME_BYTES, ProtocolError, REALTIME_SUBPROTOCOL } from '@multiclaw-lab/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { stillValid } from '../auth/still-valid.ts';
import type { Ctx } from '../context.ts';
import { handleFrame } from './frames.ts';
import { startHeartbeat } from './heartbeat.ts';
import type { Session } from './hub.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { type Admitted, admit, refuseUpgrade } from './upgrade.ts';

export interface Realtime {
  sweepNow(): number;
  close(): Promise<void>;
}

/** WSS on the same HTTPS server as the REST API (ws in noServer mode, so we decide every upgrade). */
export function attachRealtime(ctx: Ctx, server: Server): Realtime {
  const { hub, logger } = ctx;
  const frames = new KeyedQueue();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(REALTIME_SUBPROTOCOL) ? REALTIME_SUBPROTOCOL : false),
  });

  server.on('upgrade', (request, socket, head) => {
    socket.on('error', (err) => logger.debug({ event: 'ws.socket_error', err }, 'socket error during upgrade'));
    admit(ctx, request).then(
      (admitted) => wss.handleUpgrade(request, socket, head, (ws) => open(ws, admitted)),
      (err: unknown) => {
        const refusal = err instanceof ProtocolError ? err : new ProtocolError('internal', 'could not check the token; retry');
        if (!(err instanceof ProtocolError)) logger.error({ event: 'ws.upgrade_failed', err }, 'upgrade check failed');
        logger.info(
          {
            event: 'ws.refused',
            status: refusal.httpStatus,
            code: refusal.code,
            reason: refusal.message,
            path: request.url?.split('?')[0],
          },
          'real-time upgrade refused',
        );
        refuseUpgrade(socket, refusal);
      },
    );
  });

  function open(socket: WebSocket, { channel, claims, scope }: Admitted): void {
    const session: Session = {
      id: `con_${randomBytes(10).toString('hex')}`,
      channel,
      claims,
      socket,
      ...scope,
      credentialId: claims.cid,
      expiresAtMs: claims.exp * 1000,
    };
    // One live connection per instance, on whichever cloud process: the newer one wins, the
    // older is told it was replaced.
    if (session.instanceId) {
      ctx.cluster.close(
        [{ channel, instanceIds: [session.instanceId], exceptSessionId: session.id }],
        CLOSE_CODES.replaced,
        'replaced by a newer connection',
      );
    }
    hub.add(session);
    const stopHeartbeat = startHeartbeat(socket, ctx.settings.heartbeat, () => {
      logger.warn({ event: 'ws.heartbeat_timeout', connectionId: session.id, channel }, 'peer did not answer ping');
      hub.remove(session);
      socket.terminate();
    });
    socket.on('message', (raw) => {
      frames
        .run(session.id, () => handleFrame(ctx, session, raw))
        .catch((err: unknown) =>
          logger.error({ event: 'ws.frame_failed', connectionId: session.id, err }, 'frame handling failed'),
        );
    });
    socket.on('error', (err) => logger.warn({ event: 'ws.error', connectionId: session.id, err }, 'socket error'));
    socket.on('close', (code) => {
      stopHeartbeat();
      hub.remove(session);
      logger.info(
        { event: 'ws.closed', connectionId: session.id, channel, subject: claims.sub, code },
        'real-time session closed',
      );
    });
    hub.send(session, {
      type: 'welcome',
      channel,
      connectionId: session.id,
      subject: claims.sub,
      expiresAt: new Date(session.expiresAtMs).toISOString(),
    });
    logger.info(
      {
        event: 'ws.opened',
        connectionId: session.id,
        channel,
        subject: claims.sub,
        workspaceId: session.workspaceId,
        instanceId: session.instanceId,
      },
      'real-time session opened',
    );
    // A revocation that landed between the upgrade check and hub.add would have missed this
    // session; check once more now that revocations can see it.
    void stillValid(ctx, claims)
      .then(
        (valid) => {
          if (!valid) hub.closeOne(session, CLOSE_CODES.revoked, 'credential revoked');
          else if (channel !== 'user') return ctx.sync.push(session);
        },
        (err: unknown) => logger.error({ event: 'ws.recheck_failed', err }, 'could not re-check the credential'),
      )
      .catch((err: unknown) =>
        logger.error({ event: 'config.push_failed', connectionId: session.id, err }, 'config push failed'),
      );
  }

  // Revocations and pushes sent while this process could not hear the others were missed: every
  // session is checked against the database again and every instance gets a fresh snapshot.
  ctx.cluster.bus.onResync(() => {
    for (const session of hub.where(() => true)) {
      frames
        .run(session.id, async () => {
          if (!(await stillValid(ctx, session.claims))) hub.closeOne(session, CLOSE_CODES.revoked, 'credential revoked');
          else if (session.channel !== 'user') await ctx.sync.push(session);
        })
        .catch((err: unknown) =>
          logger.error({ event: 'ws.recheck_failed', connectionId: session.id, err }, 'could not re-check the credential'),
        );
    }
  });

  function sweepNow(): number {
    const now = ctx.clock.now();
    return hub.close((s) => s.expiresAtMs <= now, CLOSE_CODES.tokenExpired, 'token expired');
  }
  const sweeper = setInterval(sweepNow, ctx.settings.sweepIntervalMs);

  return {
    sweepNow,
    async close() {
      clearInterval(sweeper);
      hub.closeAll(CLOSE_CODES.goingAway, 'server shutting down');
      const closing = [...wss.clients].map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
      // Peers that do not answer the close frame promptly are cut off.
      const grace = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, 2_000);
      await Promise.all(closing);
      clearTimeout(grace);
      await frames.idle();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
