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
