import { createHash } from 'node:crypto';

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What a request's own `Cache-Control` / `Pragma` lets the cache do. */
export type RequestCacheDirective =
  /** Read a stored answer, store a fresh one. */
  | 'use'
  /** `no-cache` (or `Pragma: no-cache`, `max-age=0`): go to the service, but store its answer. */
  | 'revalidate'
  /** `no-store`: neither read nor store. */
  | 'no-store';

/** Who an answer was made for: everything the service learns of the caller from the internal token. */
export interface CachePrincipal {
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  readonly amr: readonly string[];
}

/**
 * The cache key of a request: SHA-256 over the method, the canonical target (path and query, as
 * sent upstream), the service, and the principal — subject and client, and also the scopes,
 * groups and `amr` the internal token carries, since a service may answer differently on any of
 * them. An anonymous request (a public route without a token) has its own principal, `null`.
 * JSON quoting keeps fields apart, so no subject can be crafted to alias another principal.
 */
export function responseCacheKey(
  method: string,
  target: string,
  service: string,
  principal: CachePrincipal | undefined,
): string {
  const who =
    principal === undefined
      ? null
      : [principal.subject, principal.clientId, principal.scopes, principal.groups, principal.amr];
  return createHash('sha256')
    .update(JSON.stringify([method, target, service, who]))
    .digest('base64url');
}

/** Reads the request's cache directives (RFC 9111 §5.2.1, §5.4). */
export function requestCacheDirective(headers: Headers): RequestCacheDirective {
  const cacheControl = directives(headers['cache-control']);
  if (cacheControl.has('no-store')) return 'no-store';
  if (cacheControl.has('no-cache') || cacheControl.get('max-age') === '0') return 'revalidate';
  if (cacheControl.size === 0 && directives(headers['pragma']).has('no-cache')) return 'revalidate';
  return 'use';
}

/**
 * How long an upstream answer may be stored, in milliseconds; 0 when it must not be:
 *
 * - only a `200`;
 * - never with `Set-Cookie` (a cookie is for one client, whatever the key says);
 * - never with `Cache-Control` `no-store`, `private` or `no-cache` (which needs a revalidation
 *   this cache does not make), nor `Vary: *`, nor an `Expires` that is invalid or past;
 * - otherwise the route's `cache.ttl`, shortened by `s-maxage` (or else `max-age`) when smaller —
 *   `max-age=0` stores nothing.
 */
export function storableTtlMs(status: number, headers: Headers, routeTtlMs: number, nowMs: number): number {
  if (status !== 200) return 0;
  if (headers['set-cookie'] !== undefined) return 0;
  const cacheControl = directives(headers['cache-control']);
  if (cacheControl.has('no-store') || cacheControl.has('private') || cacheControl.has('no-cache')) return 0;
  const vary = headers['vary'];
  if (vary !== undefined && varyNames(vary).includes('*')) return 0;
  const expires = headers['expires'];
  if (expires !== undefined && !cacheControl.has('max-age') && !cacheControl.has('s-maxage')) {
    const at = Date.parse(typeof expires === 'string' ? expires : (expires[0] ?? ''));
    if (Number.isNaN(at) || at <= nowMs) return 0;
  }
  const maxAge = cacheControl.get('s-maxage') ?? cacheControl.get('max-age');
  if (maxAge !== undefined) {
    const seconds = /^\d{1,10}$/u.test(maxAge) ? Number(maxAge) : 0;
    return Math.min(routeTtlMs, seconds * 1000);
  }
  return routeTtlMs;
}

/** The request fields named by a response's `Vary`, lower-cased. */
export function varyNames(vary: string | readonly string[]): string[] {
  const lines = typeof vary === 'string' ? [vary] : vary;
  const names: string[] = [];
  for (const line of lines) {
    for (const part of line.split(',')) {
      const name = part.trim().toLowerCase();
      if (name !== '') names.push(name);
    }
  }
  return names;
}

/** `Cache-Control` directives, names lower-cased, values unquoted (`undefined` → empty map). */
function directives(value: string | readonly string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (value === undefined) return map;
  for (const line of typeof value === 'string' ? [value] : value) {
    for (const part of line.split(',')) {
      const eq = part.indexOf('=');
      const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
      if (name === '') continue;
      const raw = eq === -1 ? '' : part.slice(eq + 1).trim();
      map.set(name, raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
    }
  }
  return map;
}
