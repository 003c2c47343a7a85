import { LabError } from '@multiclaw-lab/kit';
import { Client } from 'undici';
import type { z } from 'zod';

export class AdminRequestError extends LabError {
  readonly status: number;
  readonly body: unknown;
  constructor(method: string, path: string, status: number, body: unknown) {
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
    super('LAB_ADMIN_REQUEST_FAILED', `${method} ${path} answered ${status}${typeof message === 'string' ? `: ${message}` : ''}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * HTTP over an admin unix socket (undici with `socketPath`). Every answer is checked against
 * its schema, so a harness fails loudly on a changed contract instead of reading undefined.
 */
export class AdminSocketClient implements AsyncDisposable {
  readonly socketPath: string;
  readonly #client: Client;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    // The origin is only the Host header here; the socket path decides where bytes go.
    this.#client = new Client('http://admin.localhost', { socketPath });
  }

  async request<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const text = await this.requestText(method, path, body);
    return schema.parse(text === '' ? undefined : JSON.parse(text));
  }

  async requestText(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<string> {
    const response = await this.#client.request({
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) {
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      throw new AdminRequestError(method, path, response.statusCode, parsed);
    }
    return text;
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
