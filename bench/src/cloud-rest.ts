import { ErrorBodySchema, REALTIME_PATH, RealtimeTokenResponse, SignInResponse, SignUpResponse } from '@multiclaw-lab/protocol';
import { Agent, fetch } from 'undici';

/**
 * The few REST calls the session bench needs (sign-up, sign-in, mint a user-channel WSS token),
 * over HTTPS trusting only the run's lab CA. Responses are validated with the protocol schemas,
 * so a cloud that answers wrongly stops the bench instead of skewing it.
 */
export class CloudRest {
  readonly #baseUrl: string;
  readonly #dispatcher: Agent;

  constructor(baseUrl: string, caPem: string) {
    this.#baseUrl = baseUrl;
    // A handful of keep-alive connections: provisioning is not what is measured.
    this.#dispatcher = new Agent({ connect: { ca: caPem }, connections: 8 });
  }

  async #post<T>(path: string, schema: { parse(input: unknown): T }, body: unknown, bearer?: string): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(`${this.#baseUrl}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      dispatcher: this.#dispatcher,
    });
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const error = ErrorBodySchema.safeParse(json).data?.error;
      throw new Error(`POST ${path} → ${res.status} ${error?.code ?? ''}: ${error?.message ?? 'no error body'}`);
    }
    return schema.parse(json);
  }

  /** Signs up a new account and signs it in; returns its bearer. */
  async newBearer(email: string, password: string): Promise<string> {
    await this.#post('/v1/auth/sign-up', SignUpResponse, { email, password, name: email.split('@')[0] });
    const { bearer } = await this.#post('/v1/auth/sign-in', SignInResponse, { email, password });
    return bearer;
  }

  /** Mints a user-channel WSS token with a bearer. */
  async userToken(bearer: string): Promise<{ token: string; path: string }> {
    const minted = await this.#post('/v1/realtime/token', RealtimeTokenResponse, { channel: 'user' }, bearer);
    if (minted.path !== REALTIME_PATH.user) throw new Error(`the cloud named ${minted.path} for the user channel`);
    return { token: minted.token, path: minted.path };
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}
