import type { Dispatcher } from 'undici';
import { fetch } from 'undici';
import type { z } from 'zod';
import { DesktopError, ServiceError } from './errors.ts';

/** Largest JSON answer the app reads from any service; anything bigger is refused, not buffered. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

export interface JsonRequest<S extends z.ZodType | undefined> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: URL;
  dispatcher: Dispatcher;
  service: ServiceError['service'];
  bearer?: string | undefined;
  body?: unknown;
  /** schema of a 2xx body; undefined for 204 answers */
  schema?: S;
  signal?: AbortSignal;
}

/** Reads at most `maxBytes` of a body; a longer body is cancelled and refused. */
export async function readLimited(body: ReadableStream<Uint8Array> | null, maxBytes: number, what: string): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await body.cancel().catch(() => undefined);
      throw new DesktopError('too_large', `${what} is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * One JSON request/answer. A non-2xx answer becomes a ServiceError carrying the ErrorBody's code;
 * a 2xx answer is validated with `schema` so a wrong shape fails here, named, not later.
 */
export async function requestJson<S extends z.ZodType | undefined = undefined>(
  req: JsonRequest<S>,
): Promise<S extends z.ZodType ? z.infer<S> : undefined> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (req.bearer) headers.authorization = `Bearer ${req.bearer}`;
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(req.url, {
    method: req.method,
    headers,
    body: req.body === undefined ? null : JSON.stringify(req.body),
    dispatcher: req.dispatcher,
    redirect: 'error', // a credentialed call never follows a redirect to somewhere else
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const raw = await readLimited(res.body, MAX_JSON_BYTES, `${req.service} answer to ${req.method} ${req.url.pathname}`);
  let json: unknown;
  if (raw.length > 0) {
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) throw ServiceError.fromBody(req.service, res.status, json);
  if (!req.schema) return undefined as never;
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    throw new ServiceError(
      req.service,
      res.status,
      'unexpected_response',
      `${req.method} ${req.url.pathname} answered a body of the wrong shape: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  return parsed.data as never;
}
