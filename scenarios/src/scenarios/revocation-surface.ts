/**
 * Judges "no per-device session revocation" from the cloud's own description of its API (its
 * OpenAPI document) instead of guessing URLs a per-device route might have. An operation that
 * revokes credentials says so in its summary; such an operation revokes per device when it is
 * addressed to something narrower than a user: a path parameter other than the workspace and
 * the user (an instance, a session, a bearer, a device). Resources named after sessions or
 * devices count as per-device revocation surface whatever their summary says.
 */

interface OpenApiOperation {
  summary?: string;
  description?: string;
}

export interface OpenApiDocumentLike {
  paths: Record<string, Record<string, unknown>>;
}

export interface RevokingOperation {
  method: string;
  path: string;
  summary: string;
}

/** words an operation that kills credentials or sessions uses about itself */
const REVOKES = /\b(revok\w*|sign(?:s|ed|ing)?[- ]?out|log(?:s|ged|ging)?[- ]?out|terminat\w*)\b/i;
/** path parameters that address a user (or the workspace around them), not one of their devices */
const USER_ADDRESSED = new Set(['wid', 'uid']);
/** resources that only exist for per-session or per-device management */
const DEVICE_RESOURCE = /\/(sessions?|devices?|bearers?|logins?)(\/|$)/i;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);

function operations(doc: OpenApiDocumentLike): RevokingOperation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method, op]) => HTTP_METHODS.has(method) && typeof op === 'object' && op !== null)
      .map(([method, op]) => {
        const { summary, description } = op as OpenApiOperation;
        return { method: method.toUpperCase(), path, summary: `${summary ?? ''} ${description ?? ''}`.trim() };
      }),
  );
}

/** The documented operations that revoke credentials (sign-out, removal, password change, …). */
export function revokingOperations(doc: OpenApiDocumentLike): RevokingOperation[] {
  return operations(doc).filter((op) => op.method !== 'GET' && REVOKES.test(op.summary));
}

/** The documented operations that would revoke (or manage) one device's session: none is promised. */
export function perDeviceRevocations(doc: OpenApiDocumentLike): RevokingOperation[] {
  return operations(doc).filter((op) => {
    if (DEVICE_RESOURCE.test(op.path)) return true;
    if (op.method === 'GET' || !REVOKES.test(op.summary)) return false;
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    return params.some((p) => !USER_ADDRESSED.has(p));
  });
}
