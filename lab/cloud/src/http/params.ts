import { ProtocolError } from '@multiclaw-lab/protocol';
import type { FastifyRequest } from 'fastify';

/** A path parameter that must be an id (1–64 printable characters). */
export function param(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, string | undefined>)[name];
  if (!value || value.length > 64 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ProtocolError('bad_request', `bad ${name} in the path: expected an id of 1 to 64 characters`);
  }
  return value;
}
