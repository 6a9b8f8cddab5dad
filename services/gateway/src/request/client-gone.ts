/**
 * Errors that mean the client went away — it reset the connection, cancelled an HTTP/2 stream or
 * closed the session mid-request — not that it sent anything wrong. They are not refusals: no
 * `request.denied` security event, no error in the log (a normal HTTP/2 disconnect used to be
 * reported as `malformed_request`, which made alerting on denials useless).
 */
const CLIENT_GONE_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', // a TCP reset; node:http's `aborted` (a request cut mid-body) has this code too
  'EPIPE',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_INVALID_STREAM',
  'ERR_STREAM_DESTROYED',
]);

/** A request whose body stopped before its end: the client cancelled it or dropped the connection. */
export class ClientGoneError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';

  constructor(detail: string) {
    super(`client went away: ${detail}`);
    this.name = 'ClientGoneError';
  }
}

/**
 * True when `error` says the client left (see `CLIENT_GONE_CODES`), false for anything it sent.
 *
 * @example
 * server.on('sessionError', (error) => { if (!isClientGone(error)) events.emit(...); });
 */
export function isClientGone(error: unknown): boolean {
  if (error instanceof ClientGoneError) return true;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && CLIENT_GONE_CODES.has(code);
}
