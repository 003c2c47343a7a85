import { LabError } from '@multiclaw-lab/kit';
import { ProtocolError } from '@multiclaw-lab/protocol';
import { ServiceError } from './errors.ts';

/** What a caller (serve mode, the CLI) is told about a failure: a stable code and a message. */
export interface ErrorView {
  code: string;
  message: string;
  status?: number;
  service?: string;
  issues?: Array<{ path: string; message: string }>;
}

export function errorView(err: unknown): ErrorView {
  if (err instanceof ServiceError) return { code: err.code, message: err.message, status: err.status, service: err.service };
  if (err instanceof ProtocolError)
    return { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
  if (err instanceof LabError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    // undici wraps network failures in a TypeError('fetch failed') whose cause says what happened.
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof cause?.code === 'string' ? cause.code : 'error';
    const detail = typeof cause?.message === 'string' ? `: ${cause.message}` : '';
    return { code, message: `${err.message}${detail}` };
  }
  return { code: 'error', message: String(err) };
}
