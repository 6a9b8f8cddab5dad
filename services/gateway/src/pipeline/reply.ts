import { codes, isRampartError, PROBLEM_CONTENT_TYPE, type ErrorCode } from '@rampart/errors';
import { addCorsHeaders } from '../cors/index.ts';
import { securityHeaders } from '../forward/index.ts';
import type { Exchange, GatewayResponse } from './exchange.ts';

/** What a client learns when the gateway refuses a request: the code and title, never the detail. */
export interface Refusal {
  readonly status: number;
  readonly code: ErrorCode;
  readonly title: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Maps anything thrown in the pipeline to a refusal. Gateway codes are safe to show whatever their
 * status (a 503 says only "Service unavailable"); anything else is a generic 500.
 */
export function refusalOf(error: unknown): Refusal {
  if (isRampartError(error) && (error.code.startsWith('GW_') || error.expose)) {
    const extra = (error as { fields?: unknown }).fields;
    return {
      status: error.status,
      code: error.code,
      title: codes[error.code].title,
      ...headersOf(error),
      ...(extra === undefined ? {} : { extra: { errors: extra } }),
    };
  }
  return INTERNAL_REFUSAL;
}

/** The answer to anything unexpected: a generic 500, its cause in the log under the request id. */
export const INTERNAL_REFUSAL: Refusal = Object.freeze({
  status: codes.GW_INTERNAL.status,
  code: 'GW_INTERNAL',
  title: codes.GW_INTERNAL.title,
});

function headersOf(error: object): { headers?: Record<string, string> } {
  const headers: Record<string, string> = {};
  const { allowed, retryAfterSeconds } = error as { allowed?: unknown; retryAfterSeconds?: unknown };
  if (Array.isArray(allowed)) headers['allow'] = allowed.join(', ');
  if (typeof retryAfterSeconds === 'number')
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  return Object.keys(headers).length === 0 ? {} : { headers };
}

/**
 * Sends an RFC 9457 problem with the gateway's security headers, and the request's CORS headers
 * when it is an allowed cross-origin request (so the page can read why it was refused), and the
 * headers of the mount that refused it (`mount`: the console's CSP).
 */
export function sendProblem(
  res: GatewayResponse,
  refusal: Refusal,
  requestId: string,
  cors?: Readonly<Record<string, string>>,
  mount?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    type: `https://rampart.dev/errors#${refusal.code}`,
    title: refusal.title,
    status: refusal.status,
    code: refusal.code,
    requestId,
    ...refusal.extra,
  });
  const headers: Record<string, string | number> = {
    ...securityHeaders(),
    // A problem is JSON: nothing it could load or run, nothing that may frame it.
    'content-security-policy': PROBLEM_CSP,
    ...mount,
    ...refusal.headers,
    ...(refusal.status === 401 ? { 'www-authenticate': 'Bearer realm="rampart"' } : {}),
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
  addCorsHeaders(headers, cors);
  res.writeHead(refusal.status, headers);
  res.end(body);
}

/** The CSP of a problem answer, unless the mount that refused the request has its own. */
const PROBLEM_CSP = "default-src 'none'; frame-ancestors 'none'";

/** An empty body. */
export const EMPTY = Buffer.alloc(0);

/** Statuses that carry no content and no `Content-Length` (RFC 9110 §8.6, §15.3.5). */
const NO_CONTENT: ReadonlySet<number> = new Set([204, 304]);

/**
 * Sends an answer buffered whole (an upstream's, a cached one, a preflight): `Content-Length` is
 * the body's (a HEAD keeps the length the upstream announced; 204 and 304 have none), with the
 * request id and the request's CORS headers. `headers` is consumed.
 */
export function sendUpstreamAnswer(
  exchange: Exchange,
  status: number,
  headers: Record<string, string | string[] | number>,
  body: Buffer,
): void {
  const head = exchange.canonical?.method === 'HEAD';
  const noContent = NO_CONTENT.has(status);
  if (noContent) delete headers['content-length'];
  else if (!head) headers['content-length'] = body.length;
  headers['x-request-id'] = exchange.requestId;
  addCorsHeaders(headers, exchange.cors);
  exchange.res.writeHead(status, headers);
  if (head || noContent) exchange.res.end();
  else exchange.res.end(body);
}
