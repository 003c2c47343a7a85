import { type CredentialKind, credentialKindOf, ProtocolError, type Role } from '@multiclaw-lab/protocol';
import type { Ctx } from '../context.ts';
import { credentialHash } from '../crypto/tokens.ts';
import { activeBearerByHash } from '../db/bearers.ts';
import { activeInstanceByHash } from '../db/instances.ts';
import { roleOf } from '../db/workspaces.ts';
import { mutant } from '../mutant.ts';

/** Who is calling, as proven by a long-lived credential. */
export type Principal =
  | { kind: 'bearer'; credentialId: string; userId: string }
  | { kind: 'gateway'; credentialId: string; userId: string; workspaceId: string; instanceId: string }
  | { kind: 'instance'; credentialId: string; workspaceId: string; instanceId: string };

export type PrincipalOf<K extends CredentialKind> = Extract<Principal, { kind: K }>;

const HOW_TO_GET: Record<CredentialKind, string> = {
  bearer: 'sign in with POST /v1/auth/sign-in',
  gateway: 'link the gateway again with a new workspace auth token',
  instance: 'provision the cloud desktop again',
};

/**
 * Resolves `Authorization: Bearer <credential>` to a principal, accepting only the credential
 * kinds the route allows. A credential of another trust zone is refused by its prefix, before
 * any lookup, with the same 401 as an unknown one.
 */
export async function authenticate<K extends CredentialKind>(
  ctx: Ctx,
  header: string | undefined,
  allowed: readonly K[],
): Promise<PrincipalOf<K>> {
  const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? '');
  const wanted = allowed.map((k) => `a ${k} credential`).join(' or ');
  if (!match)
    throw new ProtocolError('unauthenticated', `missing credential: send "Authorization: Bearer <credential>" with ${wanted}`);
  const token = match[1]!;
  const kind = credentialKindOf(token);
  // only where the route does not take the gateway token anyway (the realtime token route does)
  const gatewayAsBearer =
    mutant('gateway-token-opens-rest') &&
    kind === 'gateway' &&
    !(allowed as readonly string[]).includes('gateway') &&
    (allowed as readonly string[]).includes('bearer');
  if (!kind || (!(allowed as readonly CredentialKind[]).includes(kind) && !gatewayAsBearer)) {
    throw new ProtocolError('unauthenticated', `this route takes ${wanted}`);
  }
  const hash = credentialHash(token);
  const principal = await lookup(ctx, kind, hash);
  if (!principal) throw new ProtocolError('unauthenticated', `credential unknown or revoked: ${HOW_TO_GET[kind]}`);
  if (gatewayAsBearer && principal.kind === 'gateway')
    return { kind: 'bearer', credentialId: principal.credentialId, userId: principal.userId } as PrincipalOf<K>;
  return principal as PrincipalOf<K>;
}

async function lookup(ctx: Ctx, kind: CredentialKind, hash: Buffer): Promise<Principal | undefined> {
  if (kind === 'bearer') {
    const bearer = await activeBearerByHash(ctx.db, hash);
    return bearer && { kind, credentialId: bearer.id, userId: bearer.user_id };
  }
  const instance = await activeInstanceByHash(ctx.db, hash);
  if (!instance) return undefined;
  if (kind === 'gateway' && instance.kind === 'gateway' && instance.user_id) {
    return {
      kind,
      credentialId: instance.id,
      userId: instance.user_id,
      workspaceId: instance.workspace_id,
      instanceId: instance.id,
    };
  }
  if (kind === 'instance' && instance.kind === 'cloud-desktop') {
    return { kind, credentialId: instance.id, workspaceId: instance.workspace_id, instanceId: instance.id };
  }
  return undefined;
}

/**
 * The caller's role in a workspace. Someone who is not a member gets 404, as if the workspace
 * did not exist, so ids of other workspaces cannot be probed.
 */
export async function requireMember(ctx: Ctx, userId: string, workspaceId: string): Promise<Role> {
  const role = await roleOf(ctx.db, workspaceId, userId);
  if (!role) throw new ProtocolError('not_found', `no workspace ${workspaceId} that you are a member of`);
  return role;
}

export async function requireOwner(ctx: Ctx, userId: string, workspaceId: string, action: string): Promise<void> {
  const role = await requireMember(ctx, userId, workspaceId);
  if (role !== 'owner') throw new ProtocolError('forbidden', `only an owner of this workspace may ${action}`);
}
