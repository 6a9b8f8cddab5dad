import type { RateLimitConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import {
  AUDIT_UPSTREAM,
  isUpstreamErrorStatus,
  sanitizeResponseHeaders,
  securityHeaders,
} from '../forward/index.ts';
import { streamInSpan } from '../observability/index.ts';
import type { CanonicalRequest } from '../request/index.ts';
import { ClientGoneError } from '../request/index.ts';
import { MethodNotAllowed } from '../routing/index.ts';
import type { PipelineDeps } from './deps.ts';
import type { Exchange } from './exchange.ts';
import { consumeLimit, need } from './stage-kit.ts';

// The stages of the audit mount (`/audit`); their order is in stages.ts.

/** The first path segment of the audit mount. */
const AUDIT_MOUNT_SEGMENT = 'audit';
/** The audit API reads; nothing under the mount changes anything. */
const AUDIT_ALLOW = Object.freeze(['GET', 'HEAD']);
const AUDIT_METHODS: ReadonlySet<string> = new Set(AUDIT_ALLOW);
/** The operations, for a bounded metrics label (anything else is `/audit other`). */
const OPERATIONS: ReadonlySet<string> = new Set([
  '/v1/events',
  '/v1/events/stream',
  '/v1/export',
  '/v1/verify',
  '/v1/alerts',
  '/v1/topology',
]);
/** The cursor of the rest of an export, passed through as the audit service wrote it. */
const NEXT_CURSOR = 'audit-next-cursor';
const CURSOR = /^[A-Za-z0-9_-]{1,64}$/;

/** Per IP, as the identity mount: 600 requests a minute, a minute's block past it. */
export const DEFAULT_AUDIT_RATE_LIMIT: RateLimitConfig = Object.freeze<RateLimitConfig>({
  points: 600,
  window: '1m',
  blockFor: '1m',
  by: ['ip'],
});

/** True for `/audit` and `/audit/…`, read on the canonical request (decoded segments). */
export function isAuditMount(canonical: CanonicalRequest): boolean {
  return canonical.segments[0] === AUDIT_MOUNT_SEGMENT;
}

/** GET and HEAD only: the audit API has nothing to write. */
export function mountAudit(exchange: Exchange): void {
  const { method, segments } = need(exchange.canonical);
  const below = `/${segments.slice(1).join('/')}`;
  // Re-identification names a pseudonym in its path: labelled by its template, never the value.
  const reveal = segments.length === 4 && segments[1] === 'v1' && segments[2] === 'subjects';
  exchange.label = `/audit ${OPERATIONS.has(below) ? below : reveal ? '/v1/subjects/{pseudonym}' : 'other'}`;
  if (!AUDIT_METHODS.has(method)) throw new MethodNotAllowed(AUDIT_ALLOW, `${method} on the audit mount`);
}

/** Per IP, through the same limiter and penalty box as the routes and the identity mount. */
export function rateLimitAuditMount(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  return consumeLimit(deps, { route: 'audit /audit', ip: exchange.clientIp }, DEFAULT_AUDIT_RATE_LIMIT);
}

/**
 * Forwards to the audit service over mTLS (its certificate must carry
 * `spiffe://<td>/rampart/audit`) with the client's own `Authorization` (the admin token the audit
 * service has identity check) and the client address in `X-Forwarded-For`, and streams the answer
 * back as it arrives: the live feed (server-sent events) reaches the client event by event, and an
 * export is never held whole. Only the audit service's headers of the public allow-list pass, with
 * the gateway's security headers. A 5xx becomes `GW_UPSTREAM_ERROR`.
 */
export async function forwardToAudit(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const canonical = need(exchange.canonical);
  // The admin token is all the audit service reads of the client's credentials.
  const headers = Object.fromEntries(
    Object.entries(canonical.headers).filter(([name]) => name !== 'cookie' && name !== 'dpop'),
  );
  const abort = new AbortController();
  const { res } = exchange;
  const onClose = (): void => {
    abort.abort();
  };
  res.once('close', onClose);
  try {
    const upstream = await streamInSpan(
      exchange,
      deps.upstreams,
      {
        upstream: AUDIT_UPSTREAM,
        method: canonical.method,
        target: canonical.target,
        headers,
        body: undefined,
        credentials: { kind: 'client' },
        clientIp: exchange.clientIp,
        host: undefined,
        requestId: exchange.requestId,
      },
      abort.signal,
    );
    const { body } = upstream;
    body.on('error', () => undefined);
    if (isUpstreamErrorStatus(upstream.status)) {
      body.destroy();
      throw new RampartError('GW_UPSTREAM_ERROR', { detail: `audit answered ${upstream.status}` });
    }
    const answer: Record<string, string | string[] | number> = sanitizeResponseHeaders(upstream.headers);
    const next = upstream.headers[NEXT_CURSOR];
    if (typeof next === 'string' && CURSOR.test(next)) answer[NEXT_CURSOR] = next;
    Object.assign(answer, securityHeaders());
    answer['x-request-id'] = exchange.requestId;
    res.writeHead(upstream.status, answer);
    if (canonical.method === 'HEAD') {
      body.destroy();
      res.end();
      return;
    }
    await pipeBody(body, res, abort.signal);
  } finally {
    res.off('close', onClose);
  }
}

/** Copies the body chunk by chunk, waiting for the client to drain; stops when either side goes. */
async function pipeBody(
  body: AsyncIterable<Uint8Array> & { destroy(): void },
  out: Exchange['res'],
  signal: AbortSignal,
): Promise<void> {
  try {
    for await (const chunk of body) {
      if (signal.aborted) break;
      if (!out.write(chunk)) await drained(out, signal);
    }
  } catch (error) {
    body.destroy();
    // The client went away mid-stream, or the audit service did: either way this answer is over.
    out.destroy();
    if (signal.aborted) throw new ClientGoneError('client closed the stream');
    throw error instanceof Error ? new ClientGoneError(`upstream stream ended: ${error.message}`) : error;
  }
  if (signal.aborted) {
    body.destroy();
    throw new ClientGoneError('client closed the stream');
  }
  out.end();
}

/** Resolves when the client drained its buffer, or the stream is aborted. */
function drained(out: Exchange['res'], signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    out.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
