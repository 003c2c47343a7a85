import type { Logger } from '@multiclaw-lab/kit';
import type { FastifyInstance } from 'fastify';

/**
 * One `http.request` line per answered request, for the scenario timeline. Only method, path
 * and status: headers carry keys and are never logged.
 */
export function logRequests(app: FastifyInstance, logger: Logger, fields: Record<string, unknown> = {}): void {
  app.addHook('onResponse', async (request, reply) => {
    logger.info(
      { event: 'http.request', ...fields, method: request.method, path: request.url.split('?')[0], status: reply.statusCode },
      'request',
    );
  });
}
