import type { WorkspaceView } from './rest.ts';
import type { RouteClient } from './rest-route.ts';
import { routes } from './routes.ts';

export interface SignedUpAccount {
  id: string;
  email: string;
  password: string;
  name: string;
  bearer: string;
}

/** Creates an account and signs it in: the first thing every test of a user needs. */
export async function signUpAndIn(
  api: RouteClient,
  account: { email: string; password: string; name: string },
): Promise<SignedUpAccount> {
  const { user } = await api.request(routes.signUp, { body: account });
  const { bearer } = await api.request(routes.signIn, { body: { email: account.email, password: account.password } });
  return { id: user.id, email: account.email, password: account.password, name: account.name, bearer };
}

/**
 * Makes `member` a member of workspace `wid` the only way there is: the owner invites, the member
 * accepts with their own bearer. Returns the member's view of the workspace.
 */
export async function inviteAndAccept(
  api: RouteClient,
  options: { ownerBearer: string; wid: string; member: { email: string; bearer: string }; role?: 'owner' | 'member' },
): Promise<WorkspaceView> {
  const invitation = await api.request(routes.inviteMember, {
    credential: options.ownerBearer,
    params: { wid: options.wid },
    body: { email: options.member.email, role: options.role ?? 'member' },
  });
  return api.request(routes.acceptInvitation, { credential: options.member.bearer, params: { vid: invitation.id } });
}
