import type { Logger } from '@multiclaw-lab/kit';
import { type ErrorCode, ProtocolError } from '@multiclaw-lab/protocol';
import type { FastifyError, FastifyInstance } from 'fastify';

/** A refusal, before it is rendered in the body format of the API that refuses. */
export interface HttpRefusal {
  status: number;
  code: ErrorCode;
  message: string;
  issues?: { path: string; message: string }[];
}

/** Renders a refusal as a response body: MultiClaw's ErrorBody, or the LLM provider's own format. */
export type RenderRefusal = (refusal: HttpRefusal) => unknown;

export const renderErrorBody: RenderRefusal = (r) =>
  new ProtocolError(r.code, r.message, r.issues ? { issues: r.issues } : {}).toBody();

/**
 * What the framework's own errors mean for the client. Messages are fixed texts on purpose:
 * JSON.parse errors quote the body, and a body may hold a key.
 */
function refusalFromFrameworkError(err: FastifyError): HttpRefusal | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'bad_request', message: 'unsupported content type: send Content-Type: application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'bad_request', message: 'request body is empty: send a JSON object' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'bad_request', message: 'Content-Length does not match the body' };
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: 'bad_request', message: 'request body is not valid JSON' };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, code: 'bad_request', message: 'malformed request' };
  }
  return undefined;
}

/**
 * Every error becomes a 4xx (or, for a bug, a 500 without details), never a crash or a stack
 * trace on the wire. Unknown routes are 404 not_found.
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger, render: RenderRefusal = renderErrorBody): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let refusal: HttpRefusal | undefined;
    if (err instanceof ProtocolError) {
      refusal = { status: err.httpStatus, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
    } else {
      refusal = refusalFromFrameworkError(err);
    }
    if (!refusal) {
      logger.error({ event: 'http.internal_error', requestId: request.id, err }, 'request failed');
      refusal = { status: 500, code: 'internal', message: `internal error (request ${request.id})` };
    }
    void reply.status(refusal.status).send(render(refusal));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    void reply
      .status(404)
      .send(render({ status: 404, code: 'not_found', message: `no route ${request.method} ${path}: check the URL and method` }));
  });
}
