/**
 * The harness's own small REST client for the cloud (provisioning accounts, reading what the
 * cloud stored). It trusts exactly the lab CA and sends whatever credential it is given, so
 * tests can also use it to try things a real client would not.
 */
import { LabError } from '@multiclaw-lab/kit';
import {
  ErrorBodySchema,
  parseRouteResponse,
  type RestRoute,
  type RouteClient,
  type RouteRequestArgs,
  type RouteResponse,
  routePath,
  successStatusOf,
} from '@multiclaw-lab/protocol';
import { Agent, fetch } from 'undici';

export class CloudApiError extends LabError {
  readonly status: number;
  readonly errorCode: string | undefined;
  constructor(method: string, path: string, status: number, errorCode: string | undefined, message: string) {
    super('LAB_CLOUD_API', `${method} ${path} → ${status} ${errorCode ?? ''}: ${message}`);
    this.status = status;
    this.errorCode = errorCode;
  }
}

export class CloudApi implements RouteClient {
  readonly baseUrl: string;
  readonly #dispatcher: Agent;

  /**
   * `socketPath`: reach the cloud through a unix socket bridged into its host (the lab's
   * out-of-band access); TLS still runs end to end and is verified for the URL's name.
   * `connections`: at most this many keep-alive connections (default: no limit).
   */
  constructor(baseUrl: string, caPem: string, options: { socketPath?: string; connections?: number } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    const connect = options.socketPath
      ? { ca: caPem, socketPath: options.socketPath, servername: new URL(this.baseUrl).hostname }
      : { ca: caPem };
    this.#dispatcher = new Agent({ connect, ...(options.connections ? { connections: options.connections } : {}) });
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

  /**
   * A call of the protocol's route table that must succeed: ids, body and answer are typed from
   * the route, and the answer is checked against the route's schema (an answer the table does not
   * describe throws, so the table cannot drift from the cloud). Throws CloudApiError with the
   * cloud's error code when refused.
   */
  async request<R extends RestRoute>(route: R, ...[options]: RouteRequestArgs<R>): Promise<RouteResponse<R>> {
    const path = routePath(route, options?.params);
    const { status, body } = await this.raw(route.method, path, {
      ...(options?.credential ? { credential: options.credential } : {}),
      ...(options?.body === undefined ? {} : { body: options.body }),
    });
    if (status !== successStatusOf(route)) throw this.#refusal(route.method, path, status, body);
    return parseRouteResponse(route, body);
  }

  #refusal(method: string, path: string, status: number, body: unknown): CloudApiError {
    const parsed = ErrorBodySchema.safeParse(body);
    return new CloudApiError(method, path, status, parsed.data?.error.code, parsed.data?.error.message ?? JSON.stringify(body));
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
