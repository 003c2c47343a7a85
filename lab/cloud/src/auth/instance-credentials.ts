import { deriveInstanceKey } from '@multiclaw-lab/protocol';
import { type Ctx, nowDate } from '../context.ts';
import { credentialHash, newCredential, newId } from '../crypto/tokens.ts';
import { type InstanceKind, insertInstance } from '../db/instances.ts';
import { syncKeyContext } from '../realtime/config-sync.ts';

/**
 * Registers an instance and makes its credential (mcg_ for a local gateway, mci_ for a cloud
 * desktop). The token is handed out once and never stored: the database keeps its SHA-256 to
 * authenticate it, and the config-sync key HKDF(token, id) sealed under the master key.
 */
export async function issueInstance(
  ctx: Ctx,
  request: { workspaceId: string; kind: InstanceKind; name: string; userId: string | null },
): Promise<{ id: string; token: string }> {
  const id = newId('ins');
  const token = newCredential(request.kind === 'gateway' ? 'gateway' : 'instance');
  const syncKey = deriveInstanceKey(token, id);
  const syncKeySealed = await ctx.keys.seal(syncKey, syncKeyContext(id));
  syncKey.fill(0);
  await insertInstance(ctx.db, { ...request, id, tokenHash: credentialHash(token), syncKeySealed, now: nowDate(ctx) });
  ctx.logger.info(
    {
      event: 'instance.registered',
      instanceId: id,
      workspaceId: request.workspaceId,
      kind: request.kind,
      userId: request.userId,
    },
    'instance registered',
  );
  return { id, token };
}
