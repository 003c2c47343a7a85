import type { IncomingMessage } from 'node:http';

/**
 * Reads and discards what is left of a request body, up to `maxBytes` or `maxMs`. A server that
 * answers before the client finished sending (a 413 for a body over the limit) and then closes
 * makes the kernel reset the connection while unread data sits in its buffer, and the client
 * loses the answer — a "connection reset" instead of the clear error. Reading the rest first
 * (what nginx calls a lingering close) lets the answer arrive.
 */
export function drainRequest(raw: IncomingMessage, maxBytes = 64 * 1024 * 1024, maxMs = 10_000): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('error', done);
      raw.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('error', done);
    raw.once('close', done);
    raw.resume();
  });
}
