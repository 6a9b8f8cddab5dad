import { RampartError } from '@rampart/errors';
import { canonicalPath, type PathLimits } from './canonicalize-path.ts';
import { checkHeaders, type HeaderLimits } from './check-headers.ts';
import { stripIdentityHeaders, type IncomingHeaders } from './strip-identity-headers.ts';

/** Methods the gateway forwards. TRACE, CONNECT and extension methods never reach a service. */
export const ALLOWED_METHODS = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
] as const);

export type Method = (typeof ALLOWED_METHODS)[number];

const METHODS: ReadonlySet<string> = new Set(ALLOWED_METHODS);

/** What the HTTP server parsed, before the gateway has read any of it. */
export interface RawRequest {
  /** As sent (methods are case-sensitive: `get` is refused). */
  readonly method: string;
  /** `IncomingMessage.url`: the request target exactly as received. */
  readonly rawTarget: string;
  /** `IncomingMessage.rawHeaders`: name/value pairs, duplicates kept. */
  readonly rawHeaders: readonly string[];
  /** `IncomingMessage.headers`. */
  readonly headers: IncomingHeaders;
}

export interface RequestLimits extends PathLimits, HeaderLimits {}

/**
 * The one reading of a request that every later stage takes — router, authorization, rate
 * limiter, cache key and upstream request — so none can see a different path than another.
 * Deeply frozen.
 */
export interface CanonicalRequest {
  readonly method: Method;
  /** Decoded once; see `canonicalPath`. */
  readonly path: string;
  readonly segments: readonly string[];
  /** Raw query, validated, without `?`. */
  readonly query: string;
  /** Canonical origin-form target to send upstream (encoded path and raw query). */
  readonly target: string;
  /** Inbound headers without identity claims or hop-by-hop fields. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * Builds the canonical request: checks the method against the allow-list, refuses smuggling
 * shapes in the raw headers, canonicalizes the target and strips identity and hop-by-hop headers.
 *
 * @throws RampartError `GW_METHOD_NOT_ALLOWED`, `GW_BAD_HEADER`, `GW_HEADERS_TOO_LARGE`,
 *   `GW_BAD_PATH` or `GW_URI_TOO_LONG`.
 * @example
 * const request = canonicalRequest({
 *   method: req.method ?? '',
 *   rawTarget: req.url ?? '',
 *   rawHeaders: req.rawHeaders,
 *   headers: req.headers,
 * });
 */
export function canonicalRequest(raw: RawRequest, limits: RequestLimits = {}): CanonicalRequest {
  const { method } = raw;
  if (!isAllowedMethod(method)) {
    throw new RampartError('GW_METHOD_NOT_ALLOWED', {
      detail: `method not on the allow-list: ${printable(method)}`,
    });
  }
  checkHeaders(raw.rawHeaders, limits);
  const { path, segments, query, target } = canonicalPath(raw.rawTarget, limits);
  const headers = stripIdentityHeaders(raw.headers);
  for (const value of Object.values(headers)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze({ method, path, segments, query, target, headers: Object.freeze(headers) });
}

function isAllowedMethod(method: string): method is Method {
  return METHODS.has(method);
}

/** A method is attacker-chosen: log at most 16 characters of it, non-printables escaped. */
function printable(text: string): string {
  return JSON.stringify(text.slice(0, 16));
}
