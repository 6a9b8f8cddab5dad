import type { RateLimitConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import type { AccessTokenClaims } from '@rampart/tokens';
import { isOpaqueToken, presentedToken, verifyDpopProof, type PresentedToken } from '../auth/index.ts';
import { authorize } from '../authorization/index.ts';
import { isUpstreamErrorStatus, sanitizeResponseHeaders, securityHeaders } from '../forward/index.ts';
import { forwardExternalInSpan, forwardInSpan } from '../observability/index.ts';
import { canonicalRequest, checkHttp1Version, http2RequestFields } from '../request/index.ts';
import { validateRequest } from '../validation/index.ts';
import { cacheStage, rememberAnswer } from './cache-stage.ts';
import { forwardToAudit, isAuditMount, mountAudit, rateLimitAuditMount } from './audit-mount.ts';
import { consoleMount, isConsoleMount, rateLimitConsole, serveConsole } from './console-mount.ts';
import type { PipelineDeps, Stage } from './deps.ts';
import type { Exchange } from './exchange.ts';
import {
  forwardToIdentity,
  isIdentityMount,
  mount,
  rateLimitMount,
  readMountBody,
} from './identity-mount.ts';
import { EMPTY, sendUpstreamAnswer } from './reply.ts';
import { consumeLimit, DEFAULT_BODY_LIMIT, firstValue, need, readBodyUpTo } from './stage-kit.ts';

type Stages = readonly (readonly [name: string, run: Stage])[];

/**
 * Introspections one client IP may cause (answers not yet cached at the gateway): 60 per 10 s —
 * a NAT of many users each with a fresh opaque token passes; a flood of made-up tokens is stopped
 * before it reaches identity.
 */
const INTROSPECTION_LOOKUPS: RateLimitConfig = { points: 60, window: '10s', by: ['ip'] };

/**
 * A request's journey, in order. Each stage either enriches the exchange, answers it, or throws a
 * `RampartError` that becomes the client's answer (and a security event). The lists are closed:
 * what a request goes through is read here, in one place.
 *
 * Every request is first canonicalized. Then its canonical path picks one of four branches:
 */
const entry: Stages = [['canonicalize', canonicalize]];

/**
 * `/auth` and `/auth/…`: the identity mount (`identity-mount.ts`), decided on the canonical
 * segments (so `/%61uth` is the mount too, and every path trick was already refused). It is not a
 * route of rampart.yaml (the config refuses routes there): identity authenticates its own clients
 * — OAuth client authentication, its session cookie, DPoP — so no bearer token is verified here and
 * no internal token is minted; the client's `authorization`, `cookie` and `dpop` go to identity alone.
 */
const identityMount: Stages = [
  ['mount', mount],
  ['rate-limit', rateLimitMount],
  ['read-body', readMountBody],
  ['forward', forwardToIdentity],
];

/**
 * `/audit` and `/audit/…`: the audit service's admin query API (`audit-mount.ts`), decided on the
 * canonical segments like the identity mount and reserved the same way. The audit service checks
 * the admin token itself (identity decides it), so the client's `authorization` goes to it alone
 * and no internal token is minted; GET and HEAD only, no body, and the answer is streamed back (the
 * live feed is server-sent events).
 */
const auditMount: Stages = [
  ['mount', mountAudit],
  ['rate-limit', rateLimitAuditMount],
  ['forward', forwardToAudit],
];

/**
 * `/console` and `/console/…`: the web console (`console-mount.ts`), files served from memory, with
 * its own Content-Security-Policy on every answer. No token: the page signs in through identity
 * and sends its admin token to identity's and the audit service's APIs itself.
 */
const consoleMountStages: Stages = [
  ['mount', consoleMount],
  ['rate-limit', rateLimitConsole],
  ['serve', serveConsole],
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

export const pipeline = Object.freeze({
  entry,
  identityMount,
  auditMount,
  consoleMount: consoleMountStages,
  routes,
});

/**
 * Runs a request through the pipeline: the entry stages, then the branch its canonical path
 * picks, until a stage answers or the last has run. Throws what a stage threw; `exchange.stage`
 * names that stage.
 */
export async function runPipeline(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  await runStages(entry, exchange, deps);
  const canonical = need(exchange.canonical);
  const branch = isIdentityMount(canonical)
    ? identityMount
    : isAuditMount(canonical)
      ? auditMount
      : isConsoleMount(canonical)
        ? consoleMountStages
        : routes;
  await runStages(branch, exchange, deps);
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
 * protocols meet the same checks. Which of the two it is, is the connection's (ALPN), never the
 * request line's: an HTTP/1.1 connection carries `HTTP/1.0` and `HTTP/1.1` only.
 */
function canonicalize(exchange: Exchange): void {
  const { req } = exchange;
  if (!exchange.http2) checkHttp1Version(req.httpVersion);
  const fields = exchange.http2 ? http2RequestFields(req.rawHeaders, req.headers) : req;
  exchange.canonical = canonicalRequest({
    method: req.method ?? '',
    rawTarget: req.url ?? '',
    rawHeaders: fields.rawHeaders,
    headers: fields.headers,
  });
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

/**
 * A bearer token is verified when present; the policy decides later whether one is needed. A token
 * shaped like identity's opaque ones is introspected (when the gateway follows Rampart's identity),
 * anything else goes to the JWT verifier, which refuses what is not a JWS without any I/O. Either
 * way the same claims come out, and the same checks follow.
 */
async function authenticate(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const matched = need(exchange.matched);
  const hasAuthorization = exchange.req.rawHeaders.some(
    (value, i) => i % 2 === 0 && value.toLowerCase() === 'authorization',
  );
  if (!hasAuthorization && matched.policy.public === true) return;
  const presented = presentedToken(exchange.req.rawHeaders);
  const claims =
    deps.introspection !== undefined && isOpaqueToken(presented.token)
      ? await deps.introspection.introspect(presented.token, () =>
          // Each lookup asks identity: a client sending made-up tokens gets a budget, not a lever.
          consumeLimit(deps, { route: 'introspection', ip: exchange.clientIp }, INTROSPECTION_LOOKUPS),
        )
      : await deps.verifier.verify(presented.token);
  await checkProofOfPossession(exchange, deps, presented, claims);
  // Checked on every request, cached verification or not: a map lookup, no I/O.
  if (deps.revocations.isRevoked(claims)) {
    // The token verified, so its subject is known: the denial names it (a stolen token's owner).
    exchange.claims = claims;
    throw new RampartError('GW_TOKEN_REVOKED', {
      detail: claims.grantId !== undefined ? 'grant or subject revoked' : 'subject revoked',
    });
  }
  exchange.claims = claims;
}

/**
 * RFC 9449 §7.1: a token bound to a key (`cnf.jkt`) is accepted only with the `DPoP` scheme and a
 * valid proof for this very request; the `DPoP` scheme with an unbound token is refused too.
 */
async function checkProofOfPossession(
  exchange: Exchange,
  deps: PipelineDeps,
  presented: PresentedToken,
  claims: AccessTokenClaims,
): Promise<void> {
  if (claims.cnf === undefined) {
    if (presented.scheme === 'dpop')
      throw new RampartError('GW_TOKEN_INVALID', { detail: 'DPoP scheme with an unbound token' });
    return;
  }
  const jkt = claims.cnf['jkt'];
  if (typeof jkt !== 'string')
    throw new RampartError('GW_TOKEN_INVALID', { detail: 'unsupported cnf confirmation method' });
  if (presented.scheme !== 'dpop')
    throw new RampartError('GW_TOKEN_INVALID', { detail: 'DPoP-bound token sent as a bearer token' });
  const canonical = need(exchange.canonical);
  await verifyDpopProof(
    {
      proof: singleHeader(exchange.req.rawHeaders, 'dpop'),
      method: canonical.method,
      // The gateway's configured public origin, never the client's Host: a proof made for
      // https://evil.example/… must not pass because the request said `Host: evil.example`.
      url: `${deps.publicOrigin}${canonical.path}`,
      accessToken: presented.token,
      jkt,
    },
    deps.dpopReplay,
  );
}

/** The value of a header sent exactly once; undefined when absent or repeated. */
function singleHeader(rawHeaders: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) {
      if (value !== undefined) return undefined;
      value = rawHeaders[index + 1];
    }
  }
  return value;
}

/**
 * Every route is limited: by its own `rateLimit`, else by `gateway.defaultRateLimit` (per token
 * subject and per IP), unless `off` is written out (`routeRateLimits` in @rampart/config). The
 * limits are counted together, so a request refused by one still counts against the other.
 */
function rateLimit(exchange: Exchange, deps: PipelineDeps): Promise<void> | undefined {
  const matched = need(exchange.matched);
  const limits = matched.rateLimits;
  if (limits.length === 0) return undefined;
  const claims = exchange.claims;
  const request = {
    route: `${matched.route.method} ${matched.template}`,
    ip: exchange.clientIp,
    ...(claims === undefined ? {} : { client: claims.clientId, user: claims.subject }),
  };
  const [first, second] = limits;
  if (second === undefined) return consumeLimit(deps, request, need(first));
  return Promise.all(limits.map((limit) => consumeLimit(deps, request, limit))).then(() => undefined);
}

/** Reads the body up to the route's limit; a larger one is refused without reading the rest. */
function readBody(exchange: Exchange): Promise<void> {
  return readBodyUpTo(exchange, need(exchange.matched).route.schema?.maxBodyBytes ?? DEFAULT_BODY_LIMIT);
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

/**
 * Forwards over mTLS to the one service the route belongs to, with a short-lived internal token
 * addressed to it alone — or, for a route of an `external` upstream, over TLS pinned to its CA with
 * no credentials at all. The client's token never leaves the gateway.
 */
async function forward(exchange: Exchange, deps: PipelineDeps): Promise<void> {
  const canonical = need(exchange.canonical);
  const matched = need(exchange.matched);
  const upstream = matched.outsideMesh
    ? // Outside the mesh: no token is minted, none of the client's credentials go (ADR 0015).
      await forwardExternalInSpan(exchange, deps.external, {
        upstream: matched.service,
        method: canonical.method,
        target: canonical.target,
        headers: canonical.headers,
        body: exchange.body,
        requestId: exchange.requestId,
      })
    : await forwardInSpan(exchange, deps.upstreams, {
        upstream: matched.service,
        method: canonical.method,
        target: canonical.target,
        headers: canonical.headers,
        body: exchange.body,
        credentials: { kind: 'internal-token', token: await mintFor(matched.service, exchange, deps) },
        clientIp: exchange.clientIp,
        host: firstValue(canonical.headers['host']),
        requestId: exchange.requestId,
      });
  if (isUpstreamErrorStatus(upstream.status)) {
    // A service's own 5xx body (a stack trace, an internal hostname) never reaches the client.
    throw new RampartError('GW_UPSTREAM_ERROR', {
      detail: `${matched.service} answered ${upstream.status}`,
    });
  }
  const headers = sanitizeResponseHeaders(upstream.headers);
  rememberAnswer(exchange, deps, upstream, headers);
  Object.assign(headers, securityHeaders());
  sendUpstreamAnswer(exchange, upstream.status, headers, upstream.body);
}

/** The internal token addressed to `service`, for the verified client (or `anonymous`). */
function mintFor(service: string, exchange: Exchange, deps: PipelineDeps): Promise<string> {
  const claims = exchange.claims;
  return deps.minter.mint({
    subject: claims?.subject ?? 'anonymous',
    audience: service,
    scopes: claims?.scopes ?? [],
    groups: claims?.groups ?? [],
    amr: claims?.amr ?? [],
  });
}
