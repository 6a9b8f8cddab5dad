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
    super(options.detail === undefined ? entry.title : `${entry.title}: ${options.detail}`, {
      cause: options.cause,
    });
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
