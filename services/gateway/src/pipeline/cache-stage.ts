import { requestCacheDirective, responseCacheKey, storableTtlMs } from '../cache/index.ts';
import { securityHeaders, type UpstreamResponse } from '../forward/index.ts';
import type { PipelineDeps } from './deps.ts';
import type { Exchange } from './exchange.ts';
import { EMPTY, sendUpstreamAnswer } from './reply.ts';
import { need } from './stage-kit.ts';

/** Methods that change nothing (RFC 9110 §9.2.1): the others invalidate cached answers of their path. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The `cache` stage. On a route with `cache`, after every check has passed for this very request:
 * answers GET and HEAD from the cache when a fresh answer is stored for the same method, canonical
 * target, service and principal, and otherwise tells `forward` the key to store the service's
 * answer under. Runs after `authorize`, so a cached answer is never served to a request that is
 * not allowed now, and it is keyed by principal, so never to another principal.
 */
export function cacheStage(exchange: Exchange, deps: PipelineDeps): void {
  const matched = need(exchange.matched);
  if (matched.cacheTtlMs === undefined) return;
  const canonical = need(exchange.canonical);
  if (canonical.method !== 'GET' && canonical.method !== 'HEAD') return;
  const directive = requestCacheDirective(canonical.headers);
  if (directive === 'no-store') {
    deps.cacheCounter.inc(matched.template, 'bypass');
    return;
  }
  const claims = exchange.claims;
  const key = responseCacheKey(
    canonical.method,
    canonical.target,
    matched.service,
    claims === undefined
      ? undefined
      : {
          subject: claims.subject,
          clientId: claims.clientId,
          scopes: claims.scopes,
          groups: claims.groups,
          amr: claims.amr,
        },
  );
  exchange.cacheKey = key;
  if (directive === 'revalidate') {
    deps.cacheCounter.inc(matched.template, 'bypass');
    return;
  }
  const hit = deps.cache.get(key, canonical.headers);
  if (hit === undefined) {
    deps.cacheCounter.inc(matched.template, 'miss');
    return;
  }
  deps.cacheCounter.inc(matched.template, 'hit');
  const headers: Record<string, string | string[] | number> = { ...hit.headers };
  Object.assign(headers, securityHeaders());
  headers['age'] = String(Math.max(0, Math.floor((Date.now() - hit.storedAtMs) / 1000)));
  const etag = hit.headers['etag'];
  if (typeof etag === 'string' && matchesEtag(canonical.headers['if-none-match'], etag)) {
    sendUpstreamAnswer(exchange, 304, headers, EMPTY);
  } else {
    sendUpstreamAnswer(exchange, 200, headers, hit.body);
  }
  exchange.answered = true;
}

/**
 * After a service answered (`forward`): stores the answer when the cache stage gave a key and the
 * answer may be stored; after a successful unsafe request, drops the stored answers of its path.
 * `headers` are the sanitized ones, copied before the gateway adds its own.
 */
export function rememberAnswer(
  exchange: Exchange,
  deps: PipelineDeps,
  upstream: UpstreamResponse,
  headers: Readonly<Record<string, string | string[]>>,
): void {
  const canonical = need(exchange.canonical);
  const ttl = exchange.matched?.cacheTtlMs;
  if (exchange.cacheKey !== undefined && ttl !== undefined) {
    const ttlMs = storableTtlMs(upstream.status, upstream.headers, ttl, Date.now());
    if (ttlMs > 0) {
      deps.cache.set(
        exchange.cacheKey,
        canonical.path,
        { headers: { ...headers }, body: upstream.body },
        ttlMs,
        canonical.headers,
      );
    }
  } else if (!SAFE_METHODS.has(canonical.method) && upstream.status < 400) {
    deps.cache.invalidatePath(canonical.path);
  }
}

/** `If-None-Match` against a stored entity tag, by weak comparison (RFC 9110 §13.1.2). */
function matchesEtag(ifNoneMatch: string | readonly string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const weak = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
  const wanted = weak(etag);
  for (const line of typeof ifNoneMatch === 'string' ? [ifNoneMatch] : ifNoneMatch) {
    for (const tag of line.split(',')) {
      const trimmed = tag.trim();
      if (trimmed === '*' || weak(trimmed) === wanted) return true;
    }
  }
  return false;
}
