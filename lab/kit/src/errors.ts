import type { LabErrorCode } from './error-codes.ts';

/**
 * Base of the lab's own errors (harness, process control, test infrastructure): one class per
 * failure, each with a stable `code`, a message that says what failed and where, and a hint
 * that says what to do. The codes are catalogued in error-codes.ts (and ERRORS.md).
 */
export class LabError extends Error {
  readonly code: LabErrorCode;
  readonly hint: string | undefined;
  constructor(code: LabErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message} (${options.hint})` : message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

export class MissingToolError extends LabError {
  constructor(tool: string, fix: string) {
    super('LAB_MISSING_TOOL', `${tool} is not installed`, { hint: fix });
  }
}

export class ProcessExitedError extends LabError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  constructor(name: string, exitCode: number | null, signal: string | null, tail: string) {
    super('LAB_PROCESS_EXITED', `${name} exited (code ${exitCode}, signal ${signal}) before it was ready. Last output:\n${tail}`);
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** A process did not print the awaited line in time; `waitingFor` names it ("ready" by default). */
export class ReadyTimeoutError extends LabError {
  constructor(name: string, timeoutMs: number, tail: string, waitingFor?: string) {
    const what = waitingFor ? `printed no ${waitingFor}` : 'was not ready';
    super('LAB_READY_TIMEOUT', `${name} ${what} within ${timeoutMs} ms. Last output:\n${tail}`);
  }
}
