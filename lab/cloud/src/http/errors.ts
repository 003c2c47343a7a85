import { randomBytes } from 'node:crypto';
import type { Logger } from '@multiclaw-lab/kit';
import { type ErrorCode, ProtocolError } from '@multiclaw-lab/protocol';
import type { FastifyError } from 'fastify';
import type { App } from './app.ts';
import { drainRequest } from './drain.ts';

/** Fastify's own 4xx errors (body parsing, size, media type) mapped to our stable codes. */
function fromFastify(err: FastifyError): ProtocolError | undefined {
  const status = err.statusCode ?? 500;
  if (status >= 500) return undefined;
  if (status === 413) return new ProtocolError('payload_too_large', 'request body too large: send at most the documented size');
  if (status === 415)
    return new ProtocolError('bad_request', 'unsupported content type: send JSON with "Content-Type: application/json"');
  if (err.code === 'FST_ERR_CTP_INVALID_JSON' || err.name === 'SyntaxError') {
    return new ProtocolError('bad_request', 'request body is not valid JSON');
  }
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new ProtocolError('bad_request', 'empty body with "Content-Type: application/json": send a JSON object');
  }
  const code: ErrorCode = status === 404 ? 'not_found' : status === 401 ? 'unauthenticated' : 'bad_request';
  return new ProtocolError(code, err.message);
}

/** Every non-2xx answer is an ErrorBody; bugs become 500 with a correlation id and no details. */
export function installErrorHandling(app: App, logger: Logger): void {
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const refusal = err instanceof ProtocolError ? err : fromFastify(err);
    if (refusal) {
      if (refusal.retryAfterSeconds !== undefined) reply.header('Retry-After', String(refusal.retryAfterSeconds));
      if (refusal.httpStatus === 401) reply.header('WWW-Authenticate', 'Bearer realm="multiclaw"');
      if (refusal.httpStatus === 413) {
        // refused before it was read: take in the rest, so the answer is not lost to a reset
        await drainRequest(request.raw);
        reply.header('Connection', 'close');
      }
      return reply.code(refusal.httpStatus).send(refusal.toBody());
    }
    const correlationId = randomBytes(6).toString('hex');
    logger.error(
      { event: 'http.error', correlationId, method: request.method, url: request.routeOptions.url, err },
      'request failed',
    );
    return reply
      .code(500)
      .send(new ProtocolError('internal', `internal error (correlation id ${correlationId}); retry or report it`).toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send(new ProtocolError('not_found', `no route ${request.method} ${path}`).toBody());
  });
}
