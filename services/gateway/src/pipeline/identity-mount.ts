import { identityEndpointLabel, type RateLimitConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import {
  IDENTITY_UPSTREAM,
  identityResponseHeaders,
  isUpstreamErrorStatus,
  type UpstreamCredentials,
} from '../forward/index.ts';
import { forwardInSpan } from '../observability/index.ts';
import type { CanonicalRequest } from '../request/index.ts';
import { MethodNotAllowed } from '../routing/index.ts';
import type { PipelineDeps } from './deps.ts';
import type { Exchange } from './exchange.ts';
import { sendUpstreamAnswer } from './reply.ts';
import { consumeLimit, DEFAULT_BODY_LIMIT, need, readBodyUpTo } from './stage-kit.ts';

// The stages of the identity mount (`/auth`); their order is in stages.ts.

/** The first path segment of the identity mount. */
const IDENTITY_MOUNT_SEGMENT = 'auth';
/** The second segment of the admin API (`/auth/admin`, `/auth/admin/…`). */
const ADMIN_API_SEGMENT = 'admin';
/** What identity serves: discovery, JWKS, authorization, token, introspection, revocation… */
const IDENTITY_ALLOW = Object.freeze(['GET', 'HEAD', 'POST', 'OPTIONS']);
/**
 * What the admin API's OpenAPI document defines (`services/identity/src/admin/openapi.ts`), so that
 * an administrator can disable an account, end sessions or delete a client through the gateway.
 * Identity itself answers 405 for a method a given admin path does not have.
 */
const ADMIN_ALLOW = Object.freeze(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const IDENTITY_METHODS: ReadonlySet<string> = new Set(IDENTITY_ALLOW);
const ADMIN_METHODS: ReadonlySet<string> = new Set(ADMIN_ALLOW);
const CLIENT_CREDENTIALS: UpstreamCredentials = Object.freeze({ kind: 'client' });

/** The default `gateway.identityRateLimit`: 600 requests a minute per IP, a minute's block past it. */
export const DEFAULT_IDENTITY_RATE_LIMIT: RateLimitConfig = Object.freeze<RateLimitConfig>({
  points: 600,
  window: '1m',
  blockFor: '1m',
  by: ['ip'],
});

/** True for `/auth` and `/auth/…`, read on the canonical request (decoded segments). */
export function isIdentityMount(canonical: CanonicalRequest): boolean {
  return canonical.segments[0] === IDENTITY_MOUNT_SEGMENT;
}

/**
 * The identity mount serves the methods OAuth 2.0 and OpenID Connect use, and no others — except
 * under `/auth/admin`, which takes every method of the admin API (PUT, PATCH and DELETE too).
 */
export function mount(exchange: Exchange): void {
  const { method, segments } = need(exchange.canonical);
  exchange.label = `/auth ${identityEndpointLabel(`/${segments.slice(1).join('/')}`)}`;
  const admin = segments[1] === ADMIN_API_SEGMENT;
  if (!(admin ? ADMIN_METHODS : IDENTITY_METHODS).has(method))
    throw new MethodNotAllowed(admin ? ADMIN_ALLOW : IDENTITY_ALLOW, `${method} on the identity mount`);
}

/** Per IP (by default), through the same limiter and penalty box as the routes. */
export function rateLimitMount(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  return consumeLimit(deps, { route: 'identity /auth', ip: exchange.clientIp }, deps.identity.rateLimit);
}

/** Any media type (identity reads forms and JSON), up to 64 KiB. */
export function readMountBody(exchange: Exchange): Promise<void> {
  return readBodyUpTo(exchange, DEFAULT_BODY_LIMIT);
}

/**
 * Forwards to identity over mTLS (its certificate must carry `spiffe://<td>/rampart/identity`)
 * with the client's own credentials, and passes its answer through: status, redirects, cookies,
 * `WWW-Authenticate`, `DPoP-Nonce`, `Cache-Control`, its CSP. A 5xx becomes `GW_UPSTREAM_ERROR`.
 */
export async function forwardToIdentity(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const canonical = need(exchange.canonical);
  const upstream = await forwardInSpan(exchange, deps.upstreams, {
    upstream: IDENTITY_UPSTREAM,
    method: canonical.method,
    target: canonical.target,
    headers: canonical.headers,
    body: exchange.body,
    credentials: CLIENT_CREDENTIALS,
    clientIp: exchange.clientIp,
    host: deps.identity.publicHost,
    requestId: exchange.requestId,
  });
  if (isUpstreamErrorStatus(upstream.status)) {
    throw new RampartError('GW_UPSTREAM_ERROR', { detail: `identity answered ${upstream.status}` });
  }
  sendUpstreamAnswer(
    exchange,
    upstream.status,
    identityResponseHeaders(upstream.headers, deps.identity.port),
    upstream.body,
  );
}
