import { CREDENTIAL_FOR_CHANNEL, ProtocolError, REALTIME_PATH, routes } from '@multiclaw-lab/protocol';
import type { Principal } from '../auth/authenticate.ts';
import type { MintRequest } from '../auth/wss-tokens.ts';
import type { Ctx } from '../context.ts';
import { turnCredentials } from '../crypto/turn.ts';
import type { App } from '../http/app.ts';
import { routeOn } from '../http/route.ts';
import { mutant } from '../mutant.ts';

/** The claims a principal's WSS token carries; `cid` ties the token to the credential that minted it. */
function claimsFor(principal: Principal): MintRequest {
  switch (principal.kind) {
    case 'bearer':
      return { kind: 'user', sub: principal.userId, cid: principal.credentialId };
    case 'gateway':
      return {
        kind: 'gateway',
        sub: principal.userId,
        cid: principal.credentialId,
        wid: principal.workspaceId,
        iid: principal.instanceId,
      };
    case 'instance':
      return {
        kind: 'daemon',
        sub: principal.instanceId,
        cid: principal.credentialId,
        wid: principal.workspaceId,
        iid: principal.instanceId,
      };
  }
}

export function realtimeRoutes(app: App, ctx: Ctx): void {
  const on = routeOn(app, ctx);

  on(routes.mintRealtimeToken, async ({ principal, body: { channel } }) => {
    const bearerOpensGateway =
      mutant('desktop-bearer-opens-gateway-channel') && principal.kind === 'bearer' && channel === 'gateway';
    if (CREDENTIAL_FOR_CHANNEL[channel] !== principal.kind && !bearerOpensGateway) {
      throw new ProtocolError(
        'forbidden',
        `a ${principal.kind} credential cannot open the ${channel} channel: each trust zone uses its own credential`,
      );
    }
    const { token, claims } = await ctx.tokens.mint(
      bearerOpensGateway ? { ...claimsFor(principal), kind: 'gateway' } : claimsFor(principal),
    );
    ctx.logger.info(
      { event: 'realtime.token_minted', channel, subject: claims.sub, cid: claims.cid, jti: claims.jti },
      'WSS token minted',
    );
    return { token, channel, expiresAt: new Date(claims.exp * 1000).toISOString(), path: REALTIME_PATH[channel] };
  });

  on(routes.getTurnCredentials, async ({ principal }) => {
    const subject = principal.kind === 'bearer' ? principal.userId : principal.instanceId;
    const { turnSecret, turnTtlSeconds, turnUrls } = ctx.settings;
    return { urls: turnUrls, ...turnCredentials(turnSecret, subject, ctx.clock.now(), turnTtlSeconds) };
  });
}
