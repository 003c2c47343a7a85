/** Talks to labd over its unix socket (plain HTTP/1.1 with node:http). */
import { request } from 'node:http';
import { createInterface } from 'node:readline';

export interface LabdResponse<T> {
  status: number;
  body: T;
}

export class LabdUnreachableError extends Error {
  override readonly name = 'LabdUnreachableError';
}

export function labdRequest<T = unknown>(
  socket: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 120_000,
): Promise<LabdResponse<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
          } catch {
            reject(new Error(`labd answered ${method} ${path} with something that is not JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new LabdUnreachableError(`labd did not answer ${method} ${path} within ${timeoutMs} ms`)),
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof LabdUnreachableError) reject(err);
      else reject(new LabdUnreachableError(`cannot reach labd at ${socket}: ${err.code ?? err.message}`));
    });
    req.end(payload);
  });
}

/**
 * Streams a text endpoint line by line (logs, -f); resolves when labd ends the stream. An error
 * answer is not streamed: its message comes back in `error`.
 */
export function labdStreamLines(
  socket: string,
  path: string,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ status: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method: 'GET', path, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 400) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let error = text;
          try {
            error = (JSON.parse(text) as { error: { message: string } }).error.message;
          } catch {
            // not an ErrorBody; show it as it came
          }
          resolve({ status, error });
        });
        return;
      }
      // an aborted follow ends the response with an error; that is the normal way out
      res.on('error', () => resolve({ status }));
      const lines = createInterface({ input: res });
      lines.on('error', () => resolve({ status })); // readline passes the input's error on
      lines.on('line', onLine);
      lines.on('close', () => resolve({ status }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') resolve({ status: 0 });
      else reject(new LabdUnreachableError(`cannot reach labd at ${socket}: ${err.code ?? err.message}`));
    });
    req.end();
  });
}

/**
 * POSTs a JSON body and streams the answer's lines (a long operation reporting progress as it
 * goes, e.g. a scenario run). An error answer comes back in `error`.
 */
export function labdStreamPost(
  socket: string,
  path: string,
  body: unknown,
  onLine: (line: string) => void,
): Promise<{ status: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const lines = createInterface({ input: res });
        const collected: string[] = [];
        lines.on('line', (line) => (status >= 400 ? collected.push(line) : onLine(line)));
        lines.on('close', () => {
          if (status < 400) return resolve({ status });
          let error = collected.join('\n');
          try {
            error = (JSON.parse(error) as { error: { message: string } }).error.message;
          } catch {
            // not an ErrorBody
          }
          resolve({ status, error });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(new LabdUnreachableError(`cannot reach labd at ${socket}: ${err.code ?? err.message}`)),
    );
    req.end(payload);
  });
}

/**
 * A job labd runs on its lab (a scenario run, a load run), as the CLI follows it: the progress
 * lines handed to `onProgress` as they come, then the "done" line's fields; a refusal, a
 * "failed" line or an answer without "done" comes back as `error`.
 */
export async function labdJob(
  socket: string,
  path: string,
  body: unknown,
  onProgress: (text: string) => void,
): Promise<{ done: Record<string, unknown> } | { error: string }> {
  let done: Record<string, unknown> | undefined;
  let failure: string | undefined;
  const answer = await labdStreamPost(socket, path, body, (line) => {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (value.event === 'progress') onProgress(String(value.text));
    else if (value.event === 'done') done = value;
    else if (value.event === 'failed') failure = String(value.message);
  });
  if (answer.error || failure || !done)
    return { error: answer.error ?? failure ?? 'labd ended the job without a result; see pnpm lab logs labd' };
  return { done };
}
