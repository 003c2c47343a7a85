import type { WssTokenClaims } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import { isBearerActive } from '../db/bearers.ts';
import { activeInstanceById } from '../db/instances.ts';

export interface SessionScope {
  userId: string | null;
  workspaceId: string | null;
  instanceId: string | null;
}

/**
 * A WSS token is only as good as the credential that minted it: checks that `cid` is still
 * live (not signed out, not revoked, its user still a member) and still matches the claims.
 * Returns the session's scope, or undefined if the token must be refused.
 */
export async function stillValid(ctx: Ctx, claims: WssTokenClaims): Promise<SessionScope | undefined> {
  switch (claims.kind) {
    case 'user':
      return (await isBearerActive(ctx.db, claims.cid, claims.sub))
        ? { userId: claims.sub, workspaceId: null, instanceId: null }
        : undefined;
    case 'gateway': {
      const instance = await activeInstanceById(ctx.db, claims.cid);
      const ok =
        instance?.kind === 'gateway' &&
        instance.user_id === claims.sub &&
        instance.workspace_id === claims.wid &&
        instance.id === claims.iid;
      return ok ? { userId: claims.sub, workspaceId: instance.workspace_id, instanceId: instance.id } : undefined;
    }
    case 'daemon': {
      const instance = await activeInstanceById(ctx.db, claims.cid);
      const ok =
        instance?.kind === 'cloud-desktop' &&
        instance.id === claims.sub &&
        instance.workspace_id === claims.wid &&
        instance.id === claims.iid;
      return ok ? { userId: null, workspaceId: instance.workspace_id, instanceId: instance.id } : undefined;
    }
  }
}
