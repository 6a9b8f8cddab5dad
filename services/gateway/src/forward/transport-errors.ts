/**
 * How the gateway reads a failed exchange with an upstream — mesh service, identity or external —
 * so that retries, the circuit breakers and the refusal codes agree whatever the upstream is.
 */

/** Methods that may be sent twice (RFC 9110 §9.2.2, minus the ones with effects in practice). */
export const RETRIABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Answers that say the upstream itself is in trouble, counted by the breaker. */
export const FAILURE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);
/** undici's code for an answer over the size cap: the upstream answered, so not its failure. */
export const TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

/** Errors raised before any response arrived, when connecting or on a dead pooled connection. */
const CONNECTION_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_ERRORS: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The first `code` along the error and its causes.
 *
 * @example
 * codeOf(new Error('fetch failed', { cause: { code: 'ECONNREFUSED' } })); // 'ECONNREFUSED'
 */
export function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether the error came before any response: a retriable method may then be sent again. */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && CONNECTION_ERRORS.has(code);
}

/** Whether the upstream did not answer in time (the route's deadline, or undici's own timeouts). */
export function isTimeout(error: unknown): boolean {
  if (error instanceof Error && error.name === 'TimeoutError') return true;
  const code = codeOf(error);
  return code !== undefined && TIMEOUT_ERRORS.has(code);
}
