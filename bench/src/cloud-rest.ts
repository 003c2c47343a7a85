import { CloudApi } from '@multiclaw-lab/core';
import { REALTIME_PATH, routes, signUpAndIn } from '@multiclaw-lab/protocol';

/**
 * The few REST calls the session bench needs (sign-up, sign-in, mint a user-channel WSS token),
 * over HTTPS trusting only the run's lab CA. Answers are checked against the route table's
 * schemas, so a cloud that answers wrongly stops the bench instead of skewing it.
 */
export class CloudRest {
  readonly #api: CloudApi;

  constructor(baseUrl: string, caPem: string) {
    // A handful of keep-alive connections: provisioning is not what is measured.
    this.#api = new CloudApi(baseUrl, caPem, { connections: 8 });
  }

  /** Signs up a new account and signs it in; returns its bearer. */
  async newBearer(email: string, password: string): Promise<string> {
    return (await signUpAndIn(this.#api, { email, password, name: email.split('@')[0] ?? email })).bearer;
  }

  /** Mints a user-channel WSS token with a bearer. */
  async userToken(bearer: string): Promise<{ token: string; path: string }> {
    const minted = await this.#api.request(routes.mintRealtimeToken, { credential: bearer, body: { channel: 'user' } });
    if (minted.path !== REALTIME_PATH.user) throw new Error(`the cloud named ${minted.path} for the user channel`);
    return { token: minted.token, path: minted.path };
  }

  close(): Promise<void> {
    return this.#api.close();
  }
}
