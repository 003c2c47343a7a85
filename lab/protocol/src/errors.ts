import { z } from 'zod';

/**
 * Every error any MultiClaw component returns, REST or real-time, carries one of these
 * stable codes. Clients branch on the code, never on the message.
 */
export const ERROR_CODES = [
  'bad_request', // body or query failed validation
  'malformed_message', // a real-time frame that is not JSON or not a known message
  'unauthenticated', // no credential, or one that is unknown, revoked or of the wrong kind
  'token_expired', // a WSS token past its expiry
  'forbidden', // authenticated, but the role or trust zone does not allow it
  'not_found',
  'conflict',
  'invalid_credentials', // sign-in with a wrong email or password
  'account_locked', // too many failed sign-ins; retry after the lockout
  'payload_too_large',
  'rate_limited',
  'internal', // a bug: logged with a correlation id, never details
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** The body of every non-2xx REST response. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    /** seconds until a retry can succeed (lockout, rate limit) */
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    /** which fields were wrong, for bad_request */
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** HTTP status that goes with each code. */
export const HTTP_STATUS_FOR: Record<ErrorCode, number> = {
  bad_request: 400,
  malformed_message: 400,
  unauthenticated: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid_credentials: 401,
  account_locked: 423,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
};

/**
 * Thrown by the parse helpers of this package and by services when a request must be
 * refused. Services turn it into an ErrorBody; it never crashes a process.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  readonly issues: ErrorBody['error']['issues'];
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra: { issues?: ErrorBody['error']['issues']; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.code = code;
    this.issues = extra.issues;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }

  get httpStatus(): number {
    return HTTP_STATUS_FOR[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.issues) error.issues = this.issues;
    if (this.retryAfterSeconds !== undefined) error.retryAfterSeconds = this.retryAfterSeconds;
    return { error };
  }
}

/** Parses `input` with `schema`, or throws a ProtocolError naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: 'bad_request' | 'malformed_message' = 'bad_request',
): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  throw new ProtocolError(code, `invalid ${code === 'bad_request' ? 'request' : 'message'}: ${summary}`, {
    issues,
  });
}
