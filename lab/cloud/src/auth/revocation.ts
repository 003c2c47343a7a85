/**
 * Every way a credential dies, and with it the sockets it opened: the database change first,
 * then the open sessions minted from it close at once with 4003 (revoked).
 */
import { CLOSE_CODES, ProtocolError } from '@multiclaw-lab/protocol';
import { type Ctx, nowDate } from '../context.ts';
import { revokeBearer, revokeUserBearers } from '../db/bearers.ts';
import { removeViewerEverywhere, revokeUserGateways } from '../db/instances.ts';
import { inTransaction } from '../db/tx.ts';
import { deleteMembership, lockOwners, roleOf } from '../db/workspaces.ts';
import { mutant } from '../mutant.ts';

export async function signOut(ctx: Ctx, bearerId: string, userId: string): Promise<void> {
  if (!mutant('sign-out-keeps-bearer-valid')) await revokeBearer(ctx.db, bearerId, 'sign-out', nowDate(ctx));
  const closed = ctx.cluster.close([{ channel: 'user', credentialId: bearerId }], CLOSE_CODES.revoked, 'signed out');
  ctx.logger.info({ event: 'auth.signed_out', userId, bearerId, socketsClosedHere: closed }, 'bearer revoked by sign-out');
}

/** Password change and forced sign-out: every bearer of the user, on every device. */
export async function revokeAllBearers(ctx: Ctx, userId: string, why: 'password-change' | 'forced-sign-out'): Promise<void> {
  const ids = await revokeUserBearers(ctx.db, userId, why, nowDate(ctx));
  const closed = ctx.cluster.close([{ channel: 'user', userIds: [userId] }], CLOSE_CODES.revoked, why);
  ctx.logger.info(
    { event: 'auth.bearers_revoked', userId, why, bearers: ids.length, socketsClosedHere: closed },
    'bearers revoked',
  );
}

/**
 * Removing a user from a workspace revokes every token of that user: all bearers (they are
 * account-wide, as the docs say "on every device"), the gateway tokens held in this workspace,
 * and the viewer grants here. The last owner cannot be removed.
 */
export async function removeMember(ctx: Ctx, workspaceId: string, userId: string, byUserId: string): Promise<void> {
  const now = nowDate(ctx);
  const { gateways, bearers } = await inTransaction(ctx.db, async (tx) => {
    const owners = await lockOwners(tx, workspaceId);
    const role = await roleOf(tx, workspaceId, userId);
    if (!role) throw new ProtocolError('not_found', `user ${userId} is not a member of this workspace`);
    if (role === 'owner' && owners.length <= 1) {
      throw new ProtocolError('conflict', 'cannot remove the last owner: make another member an owner first');
    }
    await deleteMembership(tx, workspaceId, userId);
    await removeViewerEverywhere(tx, workspaceId, userId);
    const gateways = mutant('removed-user-keeps-workspace-token')
      ? []
      : await revokeUserGateways(tx, workspaceId, userId, 'user-removed', now);
    const bearers = await revokeUserBearers(tx, userId, 'user-removed', now);
    return { gateways, bearers };
  });
  const closed = mutant('removed-user-keeps-sockets')
    ? 0
    : ctx.cluster.close(
        [
          { channel: 'user', userIds: [userId] },
          { channel: 'gateway', instanceIds: gateways },
        ],
        CLOSE_CODES.revoked,
        'removed from workspace',
      );
  ctx.logger.info(
    {
      event: 'workspace.member_removed',
      workspaceId,
      userId,
      byUserId,
      bearers: bearers.length,
      gateways: gateways.length,
      socketsClosedHere: closed,
    },
    'member removed and their tokens revoked',
  );
}
