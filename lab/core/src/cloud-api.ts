import { LabError } from '@multiclaw-lab/kit';
import { ErrorBodySchema } from '@multiclaw-lab/protocol';
import { Agent, fetch } from 'undici';

/**
 * The harness's own small REST client for the cloud (provisioning accounts, reading what the
 * cloud stored). It trusts exactly the lab CA and sends whatever credential it is given, so
 * tests can also use it to try things a real client would not.
 */
export class CloudApiError extends LabError {
  readonly status: number;
  readonly errorCode: string | undefined;
  constructor(method: string, path: string, status: number, errorCode: string | undefined, message: string) {
    super('LAB_CLOUD_API', `${method} ${path} → ${status} ${errorCode ?? ''}: ${message}`);
    this.status = status;
    this.errorCode = errorCode;
  }
}

export class CloudApi {
  readonly baseUrl: string;
  readonly #dispatcher: Agent;

  /**
   * `socketPath`: reach the cloud through a unix socket bridged into its host (the lab's
   * out-of-band access); TLS still runs end to end and is verified for the URL's name.
   */
  constructor(baseUrl: string, caPem: string, options: { socketPath?: string } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    const connect = options.socketPath
      ? { ca: caPem, socketPath: options.socketPath, servername: new URL(this.baseUrl).hostname }
      : { ca: caPem };
    this.#dispatcher = new Agent({ connect });
  }

  /** Raw request: status and parsed JSON body (or null). Never throws for HTTP errors. */
  async raw(
    method: string,
    path: string,
    options: { credential?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.credential) headers.authorization = `Bearer ${options.credential}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, dispatcher: this.#dispatcher });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  /** Request that must succeed; throws CloudApiError with the cloud's error code otherwise. */
  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { credential?: string; body?: unknown } = {},
  ): Promise<T> {
    const { status, body } = await this.raw(method, path, options);
    if (status >= 200 && status < 300) return body as T;
    const parsed = ErrorBodySchema.safeParse(body);
    throw new CloudApiError(method, path, status, parsed.data?.error.code, parsed.data?.error.message ?? String(body));
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
