import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorBodySchema, ProtocolError, parseOrThrow } from './errors.ts';
import { SignInRequest } from './rest.ts';

describe('errors', () => {
  it('parseOrThrow names every bad field and maps to 400', () => {
    try {
      parseOrThrow(SignInRequest, { email: 'not-an-email' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      const e = err as ProtocolError;
      expect(e.httpStatus).toBe(400);
      expect(e.issues?.map((i) => i.path).sort()).toEqual(['email', 'password']);
      expect(ErrorBodySchema.parse(e.toBody()).error.code).toBe('bad_request');
    }
  });

  it('carries retryAfterSeconds for lockouts', () => {
    const body = new ProtocolError('account_locked', 'locked', { retryAfterSeconds: 60 }).toBody();
    expect(body.error.retryAfterSeconds).toBe(60);
    expect(new ProtocolError('account_locked', 'x').httpStatus).toBe(423);
  });

  it('returns typed data on success', () => {
    expect(parseOrThrow(z.object({ n: z.number() }), { n: 1 })).toEqual({ n: 1 });
  });
});
