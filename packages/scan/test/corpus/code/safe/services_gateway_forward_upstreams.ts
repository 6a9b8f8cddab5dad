import type { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { request as undiciRequest } from 'undici';
import { RampartError } from '@rampart/errors';
import type { WorkloadCredentials } from '@rampart/mesh';
import { meshAgent } from '@rampart/sdk';
import {
  CircuitBreaker,
  checkBreakerOptions,
  type BreakerOptions,
  type BreakerOutcome,
} from './circuit-breaker.ts';
import { forwardedRequestHeaders, type UpstreamCredentials } from './forward-headers.ts';

/**
 * The name of the identity upstream in `upstreamOf`. It can never be a service name (those are
 * `[a-z][a-z0-9-]*`), so a service called `identity` is a different upstream.
 */
export const IDENTITY_UPSTREAM = 'rampart:identity';
/** The name of the audit service's upstream (its admin query API, behind the `/audit` mount). */
export const AUDIT_UPSTREAM = 'rampart:audit';

/** Where an upstream listens, and who it must prove to be. */
export interface Upstream {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** The SPIFFE ID its server certificate must carry; any other is refused before a byte is sent. */
  readonly spiffeId: string;
  /**
   * True for identity alone: it authenticates its own clients (OAuth client authentication,
   * its session cookie, DPoP), so it may receive their `authorization`, `cookie` and `dpop`.
   * A request with `{ kind: 'client' }` credentials to any other upstream is a `TypeError`.
   */
  readonly authenticatesClients?: boolean;
  /**
   * Its answers may be long-lived streams (the audit service's live feed): read them with
   * `stream()`, which has no whole-exchange deadline and no size cap — only a deadline for the
   * headers and one between two chunks ({@link STREAM_IDLE_MS}).
   */
  readonly streams?: boolean;
}

/** A streamed answer may be silent this long between two chunks (the audit feed beats every 15 s). */
export const STREAM_IDLE_MS = 60_000;

export interface UpstreamRequest {
  /** A service name from rampart.yaml, or {@link IDENTITY_UPSTREAM}. */
  readonly upstream: string;
  readonly method: string;
  /** Canonical path and query, e.g. `/orders/1?expand=items`. */
  readonly target: string;
  /** The client's fields, already stripped of identity and hop-by-hop fields. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer | undefined;
  /** The internal token addressed to the service, or (identity only) the client's own credentials. */
  readonly credentials: UpstreamCredentials;
  readonly clientIp: string;
  readonly host: string | undefined;
  readonly requestId: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface UpstreamResponse {
  readonly status: number;
  /** As the upstream sent them: pass through `sanitizeResponseHeaders` (or `identityResponseHeaders`) before replying. */
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

/** An answer whose body is read as it arrives. */
export interface StreamedUpstreamResponse {
  readonly status: number;
  /** As the upstream sent them: sanitize before replying. */
  readonly headers: Record<string, string | string[]>;
  readonly body: Readable;
}

export interface UpstreamsOptions {
  /** The gateway's current mesh certificate, key and trust bundle. */
  readonly credentials: () => WorkloadCredentials;
  /** Where an upstream listens and who it must be; undefined for a name not in `rampart.yaml`. */
  readonly upstreamOf: (name: string) => Upstream | undefined;
  /** Deadline of a whole exchange (retry included), response body read; default 10 000. */
  readonly timeoutMs?: number;
  /** Deadline of the TCP and TLS handshake; default 2 000. */
  readonly connectTimeoutMs?: number;
  /** Default 5 consecutive failures, then 10 s open. */
  readonly breaker?: BreakerOptions;
  /** Largest response body buffered; a larger one fails with GW_UPSTREAM_UNAVAILABLE. Default 10 MiB. */
  readonly maxResponseBytes?: number;
  /** Clock of the breakers, for tests. */
  readonly now?: () => number;
}

export interface Upstreams {
  /**
   * Sends the request to its upstream over mTLS and buffers the answer. Rejects with a
   * `RampartError` `GW_UPSTREAM_TIMEOUT` or `GW_UPSTREAM_UNAVAILABLE` (a `CircuitOpenError`,
   * with `retryAfterSeconds`, when the circuit is open), or a `TypeError` for an unknown upstream
   * or client credentials sent to an upstream that does not authenticate clients.
   */
  forward(request: UpstreamRequest): Promise<UpstreamResponse>;
  /**
   * Sends the request to an upstream with `streams` and resolves at its headers, the body to be
   * read as it comes (destroy it, or abort `signal`, to stop). GET and HEAD only, never retried;
   * the same breaker and refusals as `forward`.
   */
  stream(request: UpstreamRequest, signal: AbortSignal): Promise<StreamedUpstreamResponse>;
  /** After a certificate renewal: new connections use the new certificate; pooled ones drain. */
  rotate(): void;
  close(): Promise<void>;
}

/** Methods that may be sent twice (RFC 9110 §9.2.2, minus the ones with effects in practice). */
const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Answers that say the service itself is in trouble, counted by the breaker. */
const FAILURE_STATUSES = new Set([502, 503, 504]);
/** Errors raised before any response arrived, when connecting or on a dead pooled connection. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_ERRORS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

/**
 * Creates the gateway's connections to its upstreams (the services, and identity): one undici
 * keep-alive pool per upstream, over mutual TLS 1.3 with the gateway's mesh certificate,
 * accepting only a server whose certificate carries the SPIFFE ID `upstreamOf` gives. GET, HEAD
 * and OPTIONS are retried once after a connection error that came before any response; other
 * methods never are. Each upstream has a circuit breaker counting transport failures, timeouts
 * and 502/503/504 answers.
 *
 * @example
 * const upstreams = createUpstreams({
 *   credentials: () => identity.current(),
 *   upstreamOf: (name) => ({ port: 7102, spiffeId: serviceSpiffeId(trustDomain, name) }),
 * });
 * identity.onRotated(() => upstreams.rotate());
 */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const breakerOptions = options.breaker ?? { failures: 5, coolDownMs: 10_000 };
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const now = options.now ?? Date.now;
  positive(timeoutMs, 'timeoutMs');
  positive(connectTimeoutMs, 'connectTimeoutMs');
  positive(maxResponseBytes, 'maxResponseBytes');
  checkBreakerOptions(breakerOptions);

  const agents = new Map<string, Agent>();
  const breakers = new Map<string, CircuitBreaker>();
  let closed = false;

  function agentFor(name: string, upstream: Upstream): Agent {
    let agent = agents.get(name);
    if (agent === undefined) {
      const credentials = options.credentials();
      agent = meshAgent(credentials, upstream.spiffeId, {
        timeoutMs,
        connectTimeoutMs,
        // A streamed body is never held whole; its reader bounds what it keeps.
        maxResponseBytes: upstream.streams === true ? -1 : maxResponseBytes,
      });
      agents.set(name, agent);
    }
    return agent;
  }

  function breakerFor(name: string): CircuitBreaker {
    let breaker = breakers.get(name);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(name, breakerOptions, now);
      breakers.set(name, breaker);
    }
    return breaker;
  }

  async function exchange(request: UpstreamRequest, upstream: Upstream): Promise<UpstreamResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    const headers = forwardedRequestHeaders(request.headers, request);
    const method = request.method.toUpperCase();
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await undiciRequest(`https://127.0.0.1:${upstream.port}${request.target}`, {
          dispatcher: agentFor(request.upstream, upstream),
          method,
          headers,
          signal,
          ...(request.body === undefined ? {} : { body: request.body }),
        });
      } catch (error) {
        const retry =
          attempt === 1 && RETRIABLE_METHODS.has(method) && !signal.aborted && isConnectionError(error);
        if (retry) continue;
        throw error;
      }
      const body = Buffer.from(await response.body.arrayBuffer());
      const responseHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders[name] = value;
      }
      return { status: response.statusCode, headers: responseHeaders, body };
    }
  }

  function upstreamFor(request: UpstreamRequest): Upstream {
    if (closed) throw new TypeError('upstreams are closed');
    const upstream = options.upstreamOf(request.upstream);
    if (upstream === undefined) {
      throw new TypeError(
        `no upstream '${request.upstream}': route only to services in rampart.yaml or to identity`,
      );
    }
    if (request.credentials.kind === 'client' && upstream.authenticatesClients !== true) {
      throw new TypeError(
        `client credentials go only to an upstream that authenticates its own clients (identity), not '${request.upstream}'`,
      );
    }
    return upstream;
  }

  return {
    async stream(request, signal) {
      const upstream = upstreamFor(request);
      const method = request.method.toUpperCase();
      if (upstream.streams !== true || (method !== 'GET' && method !== 'HEAD')) {
        throw new TypeError(
          `stream() is for GET and HEAD to an upstream with streams, not ${method} '${request.upstream}'`,
        );
      }
      const report = breakerFor(request.upstream).admit();
      let outcome: BreakerOutcome = 'failure';
      try {
        const response = await undiciRequest(`https://127.0.0.1:${upstream.port}${request.target}`, {
          dispatcher: agentFor(request.upstream, upstream),
          method,
          headers: forwardedRequestHeaders(request.headers, request),
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: STREAM_IDLE_MS,
        });
        if (!FAILURE_STATUSES.has(response.statusCode)) outcome = 'success';
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers[name] = value;
        }
        return { status: response.statusCode, headers, body: response.body };
      } catch (error) {
        throw upstreamError(request.upstream, error);
      } finally {
        report(outcome);
      }
    },
    async forward(request) {
      const upstream = upstreamFor(request);
      const report = breakerFor(request.upstream).admit();
      let outcome: BreakerOutcome = 'failure';
      try {
        const response = await exchange(request, upstream);
        if (!FAILURE_STATUSES.has(response.status)) outcome = 'success';
        return response;
      } catch (error) {
        // An oversized body came from a live service: not a reason to cut everyone off.
        if (codeOf(error) === TOO_LARGE) outcome = 'success';
        throw upstreamError(request.upstream, error);
      } finally {
        report(outcome);
      }
    },
    rotate() {
      const old = [...agents.values()];
      agents.clear();
      for (const agent of old) agent.close().catch(() => undefined);
    },
    async close() {
      closed = true;
      const all = [...agents.values()];
      agents.clear();
      await Promise.all(all.map((agent) => agent.close()));
    },
  };
}

function positive(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
}

/** The first `code` along the error and its causes. */
function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && CONNECTION_ERRORS.has(code);
}

function isTimeout(error: unknown): boolean {
  if (error instanceof Error && error.name === 'TimeoutError') return true;
  const code = codeOf(error);
  return code !== undefined && TIMEOUT_ERRORS.has(code);
}

function upstreamError(upstream: string, error: unknown): RampartError {
  if (error instanceof RampartError) return error;
  if (isTimeout(error)) {
    return new RampartError('GW_UPSTREAM_TIMEOUT', {
      detail: `${upstream} did not answer in time`,
      cause: error,
    });
  }
  const reason = codeOf(error) ?? (error instanceof Error ? error.message : 'unknown error');
  return new RampartError('GW_UPSTREAM_UNAVAILABLE', { detail: `${upstream}: ${reason}`, cause: error });
}
