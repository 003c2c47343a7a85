import { ProtocolError } from '@multiclaw-lab/protocol';
import type { App } from './app.ts';

/**
 * JSON bodies, parsed strictly: invalid JSON is a 400, and NUL characters in strings are
 * refused up front because PostgreSQL text cannot hold them. Prototype keys are dropped.
 */
export function installJsonParser(app: App): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(
        null,
        JSON.parse(text, (key, value: unknown) => {
          if (key === '__proto__' || key === 'constructor') return undefined;
          if (typeof value === 'string' && value.includes('\u0000'))
            throw new ProtocolError('bad_request', 'strings must not contain NUL');
          return value;
        }),
      );
    } catch (err) {
      done(err instanceof ProtocolError ? err : new ProtocolError('bad_request', 'request body is not valid JSON'), undefined);
    }
  });
}
