import { isIP } from 'node:net';
import { peerOrigin } from '@rampart/config';

/**
 * Response fields a service may send to clients. Everything else is dropped: banners (`server`,
 * `x-powered-by`, `via`), hop-by-hop fields, internal debugging headers, and `set-cookie` —
 * services behind Rampart authenticate with the internal token, never a cookie, and a cookie set
 * by a service would be scoped to the gateway's public origin, shared by every service behind it.
 */
export const ALLOWED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'cache-control',
  'etag',
  'last-modified',
  'location',
  'vary',
  'retry-after',
  'www-authenticate',
  'content-language',
  'expires',
  'x-request-id',
]);

/**
 * The allow-listed fields of an upstream response, names in lower case. An absolute `location`
 * naming `localhost` or an IP address (how services are reached inside the mesh) is dropped so
 * internal addresses never reach clients; relative and public absolute redirects stay.
 *
 * @example
 * reply.headers({ ...sanitizeResponseHeaders(upstream.headers), ...securityHeaders() });
 */
export function sanitizeResponseHeaders(
  upstream: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [field, value] of Object.entries(upstream)) {
    const name = field.toLowerCase();
    if (!ALLOWED_RESPONSE_HEADERS.has(name)) continue;
    if (name === 'location' && !isPublicLocation(value)) continue;
    headers[name] = typeof value === 'string' ? value : [...value];
  }
  return headers;
}

function isPublicLocation(value: string | readonly string[]): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value, 'https://gateway.invalid/');
  } catch {
    return false;
  }
  if (url.hostname === 'gateway.invalid') return true;
  const host = url.hostname.replace(/^\[|\]$/gu, '').toLowerCase();
  return !(host === 'localhost' || host.endsWith('.localhost') || isIP(host) !== 0);
}

/**
 * What identity may send beyond {@link ALLOWED_RESPONSE_HEADERS}: OAuth 2.0 and its own pages
 * need its session cookies, `DPoP-Nonce` (RFC 9449), `Pragma: no-cache` (RFC 6749 §5.1), the
 * CORS answers of its token, userinfo and discovery endpoints, and the security policy of its
 * HTML pages. Banners and every other field are still dropped.
 */
export const IDENTITY_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  ...ALLOWED_RESPONSE_HEADERS,
  'set-cookie',
  'dpop-nonce',
  'pragma',
  'content-security-policy',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'cross-origin-embedder-policy',
  'permissions-policy',
]);

/** Security headers identity may set for itself; the gateway's apply where it sets none. */
const GATEWAY_FIXED = new Set(['strict-transport-security', 'x-content-type-options']);

/**
 * The response fields for an identity answer, security headers included: the allow-listed fields
 * as identity sent them — `Location` passes whatever it names (identity redirects to registered
 * `redirect_uri`s, loopback ones included, RFC 8252 §7.3) unless it names identity's own
 * listener (`internalPort` on a loopback host), which clients must never learn — and the
 * gateway's security headers where identity set none of the same name. HSTS and
 * `X-Content-Type-Options` are always the gateway's.
 *
 * @example
 * res.writeHead(upstream.status, identityResponseHeaders(upstream.headers, ports.identity));
 */
export function identityResponseHeaders(
  upstream: Readonly<Record<string, string | readonly string[]>>,
  internalPort: number,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [field, value] of Object.entries(upstream)) {
    const name = field.toLowerCase();
    if (!IDENTITY_RESPONSE_HEADERS.has(name) || GATEWAY_FIXED.has(name)) continue;
    if (name === 'location' && namesInternalListener(value, internalPort)) continue;
    headers[name] = typeof value === 'string' ? value : [...value];
  }
  for (const [name, value] of Object.entries(securityHeaders())) {
    if (GATEWAY_FIXED.has(name) || headers[name] === undefined) headers[name] = value;
  }
  return headers;
}

function namesInternalListener(value: string | readonly string[], port: number): boolean {
  if (typeof value !== 'string') return true;
  let url: URL;
  try {
    url = new URL(value, 'https://gateway.invalid/');
  } catch {
    return true;
  }
  const host = url.hostname.replace(/^\[|\]$/gu, '').toLowerCase();
  const loopback =
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host.startsWith('127.');
  // Or identity's address in the cluster (`RAMPART_PEER_HOSTS`), e.g. rampart-identity.shop.svc.
  return (loopback && url.port === String(port)) || url.origin === peerOrigin('identity', port);
}

/**
 * Headers the gateway adds to every response: HSTS for two years, no MIME sniffing, no referrer,
 * no framing, and resources readable by the same site only.
 */
export function securityHeaders(): Record<string, string> {
  return {
    'strict-transport-security': 'max-age=63072000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-resource-policy': 'same-site',
  };
}

/**
 * True for a 5xx from a service: the pipeline sends its own generic problem instead of the body,
 * so upstream stack traces and internal details never reach clients.
 */
export function isUpstreamErrorStatus(status: number): boolean {
  return status >= 500 && status <= 599;
}
