import { randomBytes } from 'node:crypto';
import type { RateLimitConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { formatTraceparent, parseTraceparent } from '@rampart/sdk';
import { bearerToken, type AccessTokenVerifier } from '../auth/index.ts';
import { authorize } from '../authorization/index.ts';
import {
  requestCacheDirective,
  responseCacheKey,
  storableTtlMs,
  type CacheCounter,
  type ResponseCache,
} from '../cache/index.ts';
import {
  IDENTITY_UPSTREAM,
  identityResponseHeaders,
  isUpstreamErrorStatus,
  sanitizeResponseHeaders,
  securityHeaders,
  type InternalTokenMinter,
  type UpstreamCredentials,
  type Upstreams,
} from '../forward/index.ts';
import { addCorsHeaders, type CorsPolicy } from '../cors/index.ts';
import { canonicalRequest, http2RequestFields, type CanonicalRequest } from '../request/index.ts';
import type { RateLimiter } from '../rate-limit/index.ts';
import { MethodNotAllowed, type RouteTable } from '../routing/index.ts';
import { validateRequest } from '../validation/index.ts';
import type { Exchange } from './exchange.ts';

/** The `/auth` mount: where identity, the OAuth 2.0 / OpenID Connect issuer, is served. */
export interface IdentityMount {
  /** Identity's port on 127.0.0.1, for recognising its own address in a `Location`. */
  readonly port: number;
  /** Sent as `X-Forwarded-Host`: identity builds its absolute URLs from it. */
  readonly publicHost: string;
  /** The per-IP limit on the mount (`gateway.identityRateLimit`). */
  readonly rateLimit: RateLimitConfig;
}

/** What the stages work with; rebuilt as a whole when rampart.yaml changes. */
export interface PipelineDeps {
  readonly routes: RouteTable;
  /** `gateway.cors`, compiled. */
  readonly cors: CorsPolicy;
  readonly identity: IdentityMount;
  readonly verifier: AccessTokenVerifier;
  readonly limiter: RateLimiter;
  readonly minter: InternalTokenMinter;
  readonly upstreams: Upstreams;
  /** Answers of routes with `cache`; cleared when rampart.yaml changes. */
  readonly cache: ResponseCache;
  readonly cacheCounter: CacheCounter;
}

type Stage = (exchange: Exchange, deps: PipelineDeps) => Promise<void> | void;
type Stages = readonly (readonly [name: string, run: Stage])[];

/** Largest body read when a route sets no `schema.maxBodyBytes`, and on the identity mount. */
const DEFAULT_BODY_LIMIT = 64 * 1024;
/** The first path segment of the identity mount. */
const IDENTITY_MOUNT_SEGMENT = 'auth';
/** What identity serves: discovery, JWKS, authorization, token, introspection, revocation… */
const IDENTITY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'OPTIONS']);
const IDENTITY_ALLOW = Object.freeze(['GET', 'HEAD', 'POST', 'OPTIONS']);
/** The default `gateway.identityRateLimit`: 600 requests a minute per IP, a minute's block past it. */
export const DEFAULT_IDENTITY_RATE_LIMIT: RateLimitConfig = Object.freeze<RateLimitConfig>({
  points: 600,
  window: '1m',
  blockFor: '1m',
  by: ['ip'],
});
const CLIENT_CREDENTIALS: UpstreamCredentials = Object.freeze({ kind: 'client' });

/**
 * A request's journey, in order. Each stage either enriches the exchange or throws a
 * `RampartError` that becomes the client's answer (and a security event). The lists are closed:
 * what a request goes through is read here, in one place.
 *
 * Every request is first canonicalized. Then its canonical path picks one of two branches:
 */
const entry: Stages = [['canonicalize', canonicalize]];

/**
 * `/auth` and `/auth/…`: the identity mount, decided on the canonical segments (so `/%61uth` is
 * the mount too, and every path trick was already refused). It is not a route of rampart.yaml
 * (the config refuses routes there): identity authenticates its own clients — OAuth client
 * authentication, its session cookie, DPoP — so no bearer token is verified here and no internal
 * token is minted; the client's `authorization`, `cookie` and `dpop` go to identity alone.
 */
const identityMount: Stages = [
  ['mount', mount],
  ['rate-limit', rateLimitMount],
  ['read-body', readMountBody],
  ['forward', forwardToIdentity],
];

/** Everything else: a route of rampart.yaml. */
const routes: Stages = [
  ['cors', cors],
  ['route', route],
  ['authenticate', authenticate],
  ['rate-limit', rateLimit],
  ['read-body', readBody],
  ['validate', validate],
  ['authorize', authorizeStage],
  ['cache', cacheStage],
  ['forward', forward],
];

export const pipeline = Object.freeze({ entry, identityMount, routes });

/** True for `/auth` and `/auth/…`, read on the canonical request (decoded segments). */
export function isIdentityMount(canonical: CanonicalRequest): boolean {
  return canonical.segments[0] === IDENTITY_MOUNT_SEGMENT;
}

/**
 * Runs a request through the pipeline: the entry stages, then the branch its canonical path
 * picks. Throws what a stage threw; `exchange.stage` names that stage.
 */
export async function runPipeline(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  await runStages(entry, exchange, deps);
  await runStages(isIdentityMount(need(exchange.canonical)) ? identityMount : routes, exchange, deps);
}

async function runStages(list: Stages, exchange: Exchange, deps: PipelineDeps): Promise<void> {
  for (const [name, run] of list) {
    exchange.stage = name;
    // Synchronous stages return nothing: no promise, no extra turn of the event loop.
    const pending = run(exchange, deps);
    if (pending !== undefined) await pending;
    if (exchange.answered === true) return;
  }
}

/**
 * Parse and normalize once; every later stage reads this object only. An HTTP/2 request is first
 * read as HTTP/1.1 would carry it (`:path` is the target, `:authority` the host), so both
 * protocols meet the same checks.
 */
function canonicalize(exchange: Exchange): void {
  const { req } = exchange;
  const fields = req.httpVersionMajor === 2 ? http2RequestFields(req.rawHeaders, req.headers) : req;
  exchange.canonical = canonicalRequest({
    method: req.method ?? '',
    rawTarget: req.url ?? '',
    rawHeaders: fields.rawHeaders,
    headers: fields.headers,
  });
}

/** The identity mount serves the methods OAuth 2.0 and OpenID Connect use, and no others. */
function mount(exchange: Exchange): void {
  exchange.label = '/auth';
  const { method } = need(exchange.canonical);
  if (!IDENTITY_METHODS.has(method))
    throw new MethodNotAllowed(IDENTITY_ALLOW, `${method} on the identity mount`);
}

/** Per IP (by default), through the same limiter and penalty box as the routes. */
function rateLimitMount(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  return consumeLimit(deps, { route: 'identity /auth', ip: exchange.clientIp }, deps.identity.rateLimit);
}

/** Any media type (identity reads forms and JSON), up to 64 KiB. */
function readMountBody(exchange: Exchange): Promise<void> {
  return readBodyUpTo(exchange, DEFAULT_BODY_LIMIT);
}

/**
 * Forwards to identity over mTLS (its certificate must carry `spiffe://<td>/rampart/identity`)
 * with the client's own credentials, and passes its answer through: status, redirects, cookies,
 * `WWW-Authenticate`, `DPoP-Nonce`, `Cache-Control`, its CSP. A 5xx becomes `GW_UPSTREAM_ERROR`.
 */
async function forwardToIdentity(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const canonical = need(exchange.canonical);
  const upstream = await deps.upstreams.forward({
    upstream: IDENTITY_UPSTREAM,
    method: canonical.method,
    target: canonical.target,
    headers: canonical.headers,
    body: exchange.body,
    credentials: CLIENT_CREDENTIALS,
    clientIp: exchange.clientIp,
    host: deps.identity.publicHost,
    requestId: exchange.requestId,
    traceparent: childTraceparent(exchange.req.headers.traceparent),
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

/**
 * `gateway.cors`: answers an allowed preflight at once (before any token is asked for: browsers
 * send none with it), notes the headers an allowed cross-origin request's answer gets, and refuses
 * a request from any other origin (`GW_CORS_REFUSED`). Identity's mount answers its own CORS.
 */
function cors(exchange: Exchange, deps: PipelineDeps): void {
  const canonical = need(exchange.canonical);
  const outcome = deps.cors.decide(canonical.method, canonical.headers);
  if (outcome.kind === 'answer') {
    if (outcome.headers !== undefined) exchange.cors = outcome.headers;
    return;
  }
  exchange.label = 'cors-preflight';
  const headers: Record<string, string | string[] | number> = { ...outcome.headers };
  Object.assign(headers, securityHeaders());
  sendUpstreamAnswer(exchange, 204, headers, EMPTY);
  exchange.answered = true;
}

function route(exchange: Exchange, deps: PipelineDeps): void {
  const canonical = need(exchange.canonical);
  const matched = deps.routes.match(canonical.method, canonical.segments, canonical.path.endsWith('/'));
  exchange.matched = matched;
  exchange.label = matched.template;
}

/** A bearer token is verified when present; the policy decides later whether one is needed. */
async function authenticate(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const matched = need(exchange.matched);
  const hasAuthorization = exchange.req.rawHeaders.some(
    (value, i) => i % 2 === 0 && value.toLowerCase() === 'authorization',
  );
  if (!hasAuthorization && matched.policy.public === true) return;
  exchange.claims = await deps.verifier.verify(bearerToken(exchange.req.rawHeaders));
}

function rateLimit(exchange: Exchange, deps: PipelineDeps): Promise<void> | undefined {
  const matched = need(exchange.matched);
  const limit = matched.route.rateLimit;
  if (limit === undefined) return undefined;
  const claims = exchange.claims;
  return consumeLimit(
    deps,
    {
      route: `${matched.route.method} ${matched.template}`,
      ip: exchange.clientIp,
      ...(claims === undefined ? {} : { client: claims.clientId, user: claims.subject }),
    },
    limit,
  );
}

async function consumeLimit(
  deps: PipelineDeps,
  request: Parameters<RateLimiter['consume']>[0],
  limit: RateLimitConfig,
): Promise<void> {
  const decision = await deps.limiter.consume(request, limit);
  if (!decision.allowed) {
    const error = new RampartError('GW_RATE_LIMITED', { detail: `rate limit (${decision.reason})` });
    throw Object.assign(error, { retryAfterSeconds: decision.retryAfterSeconds });
  }
}

/** Reads the body up to the route's limit; a larger one is refused without reading the rest. */
function readBody(exchange: Exchange): Promise<void> {
  return readBodyUpTo(exchange, need(exchange.matched).route.schema?.maxBodyBytes ?? DEFAULT_BODY_LIMIT);
}

async function readBodyUpTo(exchange: Exchange, limit: number): Promise<void> {
  const declared = Number(need(exchange.canonical).headers['content-length'] ?? 0);
  if (declared > limit)
    throw new RampartError('GW_PAYLOAD_TOO_LARGE', { detail: `content-length ${declared} > ${limit}` });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of exchange.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RampartError('GW_PAYLOAD_TOO_LARGE', { detail: `body over ${limit} bytes` });
    chunks.push(chunk);
  }
  if (size > 0) exchange.body = Buffer.concat(chunks, size);
}

function validate(exchange: Exchange): void {
  const canonical = need(exchange.canonical);
  const contentType = firstValue(canonical.headers['content-type']);
  validateRequest(need(exchange.matched), {
    params: need(exchange.matched).params,
    query: canonical.query,
    contentType,
    body: exchange.body,
  });
}

/** Scopes, groups and MFA, then the route's Cedar policy set, if it has one. */
function authorizeStage(exchange: Exchange): void {
  const claims = exchange.claims;
  const matched = need(exchange.matched);
  authorize(
    matched.policy,
    claims === undefined
      ? null
      : {
          subject: claims.subject,
          clientId: claims.clientId,
          scopes: claims.scopes,
          groups: claims.groups,
          amr: claims.amr,
          acr: claims.acr,
        },
    matched.cedar === undefined
      ? undefined
      : {
          policySet: matched.cedar,
          request: {
            method: need(exchange.canonical).method,
            template: matched.template,
            service: matched.service,
            params: matched.params,
            ip: exchange.clientIp,
          },
        },
  );
}

/** Methods that change nothing (RFC 9110 §9.2.1): the others invalidate cached answers of their path. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * On a route with `cache`, after every check has passed for this very request: answers GET and
 * HEAD from the cache when a fresh answer is stored for the same method, canonical target,
 * service and principal, and otherwise tells `forward` the key to store the service's answer
 * under. Runs after `authorize`, so a cached answer is never served to a request that is not
 * allowed now, and it is keyed by principal, so never to another principal.
 */
function cacheStage(exchange: Exchange, deps: PipelineDeps): void {
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

const EMPTY = Buffer.alloc(0);

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

/**
 * Forwards over mTLS to the one service the route belongs to, with a short-lived internal token
 * addressed to it alone. The client's token never leaves the gateway.
 */
async function forward(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const canonical = need(exchange.canonical);
  const matched = need(exchange.matched);
  const claims = exchange.claims;
  const internalToken = await deps.minter.mint({
    subject: claims?.subject ?? 'anonymous',
    audience: matched.service,
    scopes: claims?.scopes ?? [],
    groups: claims?.groups ?? [],
    amr: claims?.amr ?? [],
  });
  const upstream = await deps.upstreams.forward({
    upstream: matched.service,
    method: canonical.method,
    target: canonical.target,
    headers: canonical.headers,
    body: exchange.body,
    credentials: { kind: 'internal-token', token: internalToken },
    clientIp: exchange.clientIp,
    host: firstValue(canonical.headers['host']),
    requestId: exchange.requestId,
    traceparent: childTraceparent(exchange.req.headers.traceparent),
  });
  if (isUpstreamErrorStatus(upstream.status)) {
    // A service's own 5xx body (a stack trace, an internal hostname) never reaches the client.
    throw new RampartError('GW_UPSTREAM_ERROR', {
      detail: `${matched.service} answered ${upstream.status}`,
    });
  }
  const headers = sanitizeResponseHeaders(upstream.headers);
  if (exchange.cacheKey !== undefined && matched.cacheTtlMs !== undefined) {
    const ttlMs = storableTtlMs(upstream.status, upstream.headers, matched.cacheTtlMs, Date.now());
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
  Object.assign(headers, securityHeaders());
  sendUpstreamAnswer(exchange, upstream.status, headers, upstream.body);
}

/** Statuses that carry no content and no `Content-Length` (RFC 9110 §8.6, §15.3.5). */
const NO_CONTENT: ReadonlySet<number> = new Set([204, 304]);

/**
 * Sends an upstream answer, buffered whole: `Content-Length` is the body's (a HEAD keeps the
 * length the upstream announced), with the request id. `headers` is consumed.
 */
function sendUpstreamAnswer(
  exchange: Exchange,
  status: number,
  headers: Record<string, string | string[] | number>,
  body: Buffer,
): void {
  const head = exchange.canonical?.method === 'HEAD';
  if (NO_CONTENT.has(status)) delete headers['content-length'];
  else if (!head) headers['content-length'] = body.length;
  headers['x-request-id'] = exchange.requestId;
  addCorsHeaders(headers, exchange.cors);
  exchange.res.writeHead(status, headers);
  if (head || NO_CONTENT.has(status)) exchange.res.end();
  else exchange.res.end(body);
}

/**
 * W3C trace context for the upstream hop: the client's trace continues (a malformed header starts a
 * new one) with a span id of the gateway's own, so a client can never choose the span it parents.
 */
function childTraceparent(header: string | string[] | undefined): string {
  const parent = parseTraceparent(header);
  return formatTraceparent({
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: parent?.traceFlags ?? 1,
  });
}

function firstValue(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value[0];
}

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new TypeError('a pipeline stage ran before the stage it depends on');
  return value;
}
