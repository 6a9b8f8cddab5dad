import { codes, type ErrorCode } from './codes.ts';

export interface RampartErrorOptions {
  /** Precise reason, for logs and audit only — never sent to a client. */
  readonly detail?: string;
  readonly cause?: unknown;
}

/**
 * An error raised by hostile or invalid input. `.expose` is true when the client may see the
 * code and title (status < 500); `detail` and `cause` never leave the process except in logs.
 *
 * @example
 * throw new RampartError('SDK_FORBIDDEN', { detail: `caller ${caller} may not call ${service}` });
 */
export class RampartError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: RampartErrorOptions = {}) {
    const entry = codes[code];
    // A refusal of the client's input (4xx) says all there is in its code and detail, and it is
    // raised on every refused request: its stack would cost ~20 times the rest of the error
    // (bench/rampart-error.ts). An internal error (5xx) keeps its stack for the log.
    const stackTraceLimit = Error.stackTraceLimit;
    if (entry.status < 500) Error.stackTraceLimit = 0;
    super(options.detail === undefined ? entry.title : `${entry.title}: ${options.detail}`, {
      cause: options.cause,
    });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'RampartError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.detail = options.detail;
  }

  get expose(): boolean {
    return this.status < 500;
  }
}

export function isRampartError(value: unknown): value is RampartError {
  return value instanceof RampartError;
}
