import { LabError } from '@multiclaw-lab/kit';
import { ErrorBodySchema, type ErrorCode } from '@multiclaw-lab/protocol';

/**
 * A non-2xx answer from MultiClaw Cloud (or the local gateway): the HTTP status and the stable
 * error code of its ErrorBody. `code` is 'unexpected_response' when the body was not an ErrorBody.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly service: 'cloud' | 'gateway' | 'cdn';
  readonly status: number;
  readonly code: ErrorCode | 'unexpected_response';
  readonly retryAfterSeconds: number | undefined;

  constructor(
    service: ServiceError['service'],
    status: number,
    code: ServiceError['code'],
    message: string,
    retryAfter?: number,
  ) {
    super(`${service} answered ${status} ${code}: ${message}`);
    this.service = service;
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfter;
  }

  static fromBody(service: ServiceError['service'], status: number, body: unknown): ServiceError {
    const parsed = ErrorBodySchema.safeParse(body);
    if (parsed.success) {
      const { code, message, retryAfterSeconds } = parsed.data.error;
      return new ServiceError(service, status, code, message, retryAfterSeconds);
    }
    return new ServiceError(service, status, 'unexpected_response', 'the answer was not a MultiClaw error body');
  }
}

/** True for the answers that mean "this credential is no longer valid": the app must stop and report signed out. */
export function isUnauthorized(err: unknown): boolean {
  if (err instanceof DesktopError) return err.code === 'not_signed_in';
  return err instanceof ServiceError && err.status === 401;
}

/** The desktop app's own refusals (not signed in, no gateway, bad update, ...). */
export class DesktopError extends LabError {}

export function notSignedIn(): DesktopError {
  return new DesktopError('not_signed_in', 'the desktop app is not signed in', {
    hint: 'call signIn (CLI: desktop-sim sign-in --email ... --password ...) first',
  });
}
