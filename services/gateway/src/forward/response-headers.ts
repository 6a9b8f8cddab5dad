import { isIP } from 'node:net';

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
