import { randomBytes } from 'node:crypto';
import { RampartError } from '@rampart/errors';
import { formatTraceparent, parseTraceparent } from '@rampart/sdk';
import { bearerToken, type AccessTokenVerifier } from '../auth/index.ts';
import { authorize } from '../authorization/index.ts';
import {
  isUpstreamErrorStatus,
  sanitizeResponseHeaders,
  securityHeaders,
  type InternalTokenMinter,
  type Upstreams,
} from '../forward/index.ts';
import { canonicalRequest } from '../request/index.ts';
import type { RateLimiter } from '../rate-limit/index.ts';
import type { RouteTable } from '../routing/index.ts';
import { validateRequest } from '../validation/index.ts';
import type { Exchange } from './exchange.ts';

/** What the stages work with; rebuilt as a whole when rampart.yaml changes. */
export interface PipelineDeps {
  readonly routes: RouteTable;
  readonly verifier: AccessTokenVerifier;
  readonly limiter: RateLimiter;
  readonly minter: InternalTokenMinter;
  readonly upstreams: Upstreams;
}

type Stage = (exchange: Exchange, deps: PipelineDeps) => Promise<void> | void;

/** Largest body read when a route sets no `schema.maxBodyBytes`. */
const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * A request's journey, in order. Each stage either enriches the exchange or throws a
 * `RampartError` that becomes the client's answer (and a security event). The list is closed:
 * what a request goes through is read here, in one place.
 */
export const stages: readonly (readonly [string, Stage])[] = [
  ['canonicalize', canonicalize],
  ['route', route],
  ['authenticate', authenticate],
  ['rate-limit', rateLimit],
  ['read-body', readBody],
  ['validate', validate],
  ['authorize', authorizeStage],
  ['forward', forward],
];

/** Parse and normalize once; every later stage reads this object only. */
function canonicalize(exchange: Exchange): void {
  const { req } = exchange;
  exchange.canonical = canonicalRequest({
    method: req.method ?? '',
    rawTarget: req.url ?? '',
    rawHeaders: req.rawHeaders,
    headers: req.headers,
  });
}

function route(exchange: Exchange, deps: PipelineDeps): void {
  const canonical = need(exchange.canonical);
  exchange.matched = deps.routes.match(canonical.method, canonical.segments, canonical.path.endsWith('/'));
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

async function rateLimit(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const matched = need(exchange.matched);
  const limit = matched.route.rateLimit;
  if (limit === undefined) return;
  const decision = await deps.limiter.consume(
    {
      route: `${matched.route.method} ${matched.template}`,
      ip: exchange.clientIp,
      ...(exchange.claims === undefined
        ? {}
        : { client: exchange.claims.clientId, user: exchange.claims.subject }),
    },
    limit,
  );
  if (!decision.allowed) {
    const error = new RampartError('GW_RATE_LIMITED', { detail: `rate limit (${decision.reason})` });
    throw Object.assign(error, { retryAfterSeconds: decision.retryAfterSeconds });
  }
}

/** Reads the body up to the route's limit; a larger one is refused without reading the rest. */
async function readBody(exchange: Exchange): Promise<void> {
  const limit = need(exchange.matched).route.schema?.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  const declared = Number(exchange.req.headers['content-length'] ?? 0);
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
  const contentType = exchange.req.headers['content-type'];
  validateRequest(need(exchange.matched), {
    params: need(exchange.matched).params,
    query: canonical.query,
    contentType,
    body: exchange.body,
  });
}

function authorizeStage(exchange: Exchange): void {
  const claims = exchange.claims;
  authorize(
    need(exchange.matched).policy,
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
  );
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
  const traceparent = childTraceparent(exchange.req.headers.traceparent);
  const upstream = await deps.upstreams.forward({
    service: matched.service,
    method: canonical.method,
    target: canonical.target,
    headers: canonical.headers,
    body: exchange.body,
    internalToken,
    clientIp: exchange.clientIp,
    host: exchange.req.headers.host,
    requestId: exchange.requestId,
    traceparent,
  });
  if (isUpstreamErrorStatus(upstream.status)) {
    // A service's own 5xx body (a stack trace, an internal hostname) never reaches the client.
    throw new RampartError('GW_UPSTREAM_UNAVAILABLE', {
      detail: `${matched.service} answered ${upstream.status}`,
    });
  }
  exchange.res.writeHead(upstream.status, {
    ...sanitizeResponseHeaders(upstream.headers),
    ...securityHeaders(),
    'content-length': upstream.body.length,
    'x-request-id': exchange.requestId,
  });
  exchange.res.end(canonical.method === 'HEAD' ? undefined : upstream.body);
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

function need<T>(value: T | undefined): T {
  if (value === undefined) throw new TypeError('a pipeline stage ran before the stage it depends on');
  return value;
}
