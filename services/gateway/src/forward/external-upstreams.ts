import { Agent } from 'undici';
import { externalPath } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import {
  CircuitBreaker,
  checkBreakerOptions,
  type BreakerOptions,
  type BreakerOutcome,
} from './circuit-breaker.ts';
import { externalRequestHeaders } from './external-headers.ts';
import {
  codeOf,
  FAILURE_STATUSES,
  isConnectionError,
  isTimeout,
  RETRIABLE_METHODS,
  TOO_LARGE,
} from './transport-errors.ts';
import type { UpstreamResponse } from './upstreams.ts';

/** Where an external upstream (`external` of rampart.yaml) is, and the only CA it is verified with. */
export interface ExternalTarget {
  /** `https://host[:port]`. */
  readonly origin: string;
  /** Prefixed to every target: `''` or `/api` (no trailing slash). */
  readonly basePath: string;
  /** The pinned CA certificates (PEM): the system's trust store is never consulted. */
  readonly ca: string;
  /** SNI and the name its certificate must carry, when not the origin's host. */
  readonly serverName?: string;
}

/** A request to an external upstream: no credentials of any kind, no trace context. */
export interface ExternalRequest {
  /** The key under `external` in rampart.yaml. */
  readonly upstream: string;
  readonly method: string;
  /** Canonical path and query, appended to the target's base path. */
  readonly target: string;
  /** The client's fields (already stripped of identity and hop-by-hop fields); filtered again here. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer | undefined;
  readonly requestId: string;
}

export interface ExternalUpstreamsOptions {
  /** The upstream's address and pinned CA; undefined for a name not under `external`. */
  readonly targetOf: (name: string) => ExternalTarget | undefined;
  /** Deadline of a whole exchange (retry included), response body read; default 10 000. */
  readonly timeoutMs?: number;
  /** Deadline of the TCP and TLS handshake; default 5 000 (it crosses networks). */
  readonly connectTimeoutMs?: number;
  /** Default 5 consecutive failures, then 10 s open. */
  readonly breaker?: BreakerOptions;
  /** Largest response body buffered; a larger one fails with GW_UPSTREAM_UNAVAILABLE. Default 10 MiB. */
  readonly maxResponseBytes?: number;
  /** Clock of the breakers, for tests. */
  readonly now?: () => number;
}

export interface ExternalUpstreams {
  /**
   * Sends the request over TLS verified against the upstream's pinned CA alone and buffers the
   * answer. Rejects with a `RampartError`: `GW_UPSTREAM_TLS` (its certificate refused — nothing was
   * sent), `GW_UPSTREAM_TIMEOUT`, or `GW_UPSTREAM_UNAVAILABLE` (a `CircuitOpenError` when its
   * circuit is open); a `TypeError` for a name not under `external`.
   */
  forward(request: ExternalRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/**
 * OpenSSL's verification results and Node's own TLS errors: the upstream's certificate does not
 * chain to the pinned CA, is not valid now, or does not name the host; or no handshake was possible.
 */
const TLS_ERROR =
  /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|ERR_TLS_CERT_ALTNAME_INVALID$)/;

interface Pool {
  /** What the agent was built from: a new CA, origin or name makes a new one. */
  readonly key: string;
  readonly agent: Agent;
}

/**
 * The gateway's connections to the HTTPS upstreams outside the mesh (`external` of rampart.yaml):
 * one undici keep-alive pool per upstream, TLS 1.2 or 1.3, verified against that upstream's pinned
 * CA only (Node's `ca` replaces the system's store) and the host or `serverName`. The client's
 * credentials, every `x-rampart-*` field and the gateway's internal token never go out
 * (`external-headers.ts`; docs/adr/0015-external-upstreams.md). GET, HEAD and OPTIONS are retried
 * once after a connection error that came before any response; a circuit breaker per upstream
 * counts transport and TLS failures, timeouts and 502/503/504 answers. When `targetOf` gives another
 * CA, origin or name (a reload, a renewed CA file), the next request builds a new pool and the old
 * one drains.
 *
 * @example
 * const external = createExternalUpstreams({ targetOf: (name) => targets.get(name) });
 * const answer = await external.forward({ upstream: 'partner', method: 'GET', target: '/quotes', headers, body: undefined, requestId });
 */
export function createExternalUpstreams(options: ExternalUpstreamsOptions): ExternalUpstreams {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const breakerOptions = options.breaker ?? { failures: 5, coolDownMs: 10_000 };
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const now = options.now ?? Date.now;
  for (const [name, value] of [
    ['timeoutMs', timeoutMs],
    ['connectTimeoutMs', connectTimeoutMs],
    ['maxResponseBytes', maxResponseBytes],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  }
  checkBreakerOptions(breakerOptions);
  const pools = new Map<string, Pool>();
  const breakers = new Map<string, CircuitBreaker>();
  let closed = false;

  function agentFor(name: string, target: ExternalTarget): Agent {
    const key = JSON.stringify([target.origin, target.ca, target.serverName ?? null]);
    const pool = pools.get(name);
    if (pool?.key === key) return pool.agent;
    pool?.agent.close().catch(() => undefined);
    const agent = new Agent({
      connect: {
        ca: target.ca,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        timeout: connectTimeoutMs,
        ...(target.serverName === undefined ? {} : { servername: target.serverName }),
      },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      maxResponseSize: maxResponseBytes,
    });
    pools.set(name, { key, agent });
    return agent;
  }

  function breakerFor(name: string): CircuitBreaker {
    let breaker = breakers.get(name);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(`external ${name}`, breakerOptions, now);
      breakers.set(name, breaker);
    }
    return breaker;
  }

  async function exchange(
    request: ExternalRequest,
    target: ExternalTarget,
    path: string,
  ): Promise<UpstreamResponse> {
    const signal = AbortSignal.timeout(timeoutMs);
    const method = request.method.toUpperCase();
    const headers = externalRequestHeaders(request.headers, request.requestId);
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await agentFor(request.upstream, target).request({
          origin: target.origin,
          path,
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

  return {
    async forward(request) {
      if (closed) throw new TypeError('external upstreams are closed');
      const target = options.targetOf(request.upstream);
      if (target === undefined)
        throw new TypeError(`no external upstream '${request.upstream}' in rampart.yaml`);
      // `path` goes as written (a URL would resolve dot segments, which externalPath refuses instead).
      const path = externalPath(target.basePath, request.target);
      const report = breakerFor(request.upstream).admit();
      let outcome: BreakerOutcome = 'failure';
      try {
        const response = await exchange(request, target, path);
        if (!FAILURE_STATUSES.has(response.status)) outcome = 'success';
        return response;
      } catch (error) {
        if (codeOf(error) === TOO_LARGE) outcome = 'success';
        throw externalError(request.upstream, target, error);
      } finally {
        report(outcome);
      }
    },
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.agent.close()));
    },
  };
}

/** What the log says: the code and the message, on one line, never a stack. */
function reasonOf(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${code}: ${message}`;
}

function externalError(name: string, target: ExternalTarget, error: unknown): RampartError {
  if (error instanceof RampartError) return error;
  const where = `external ${name} (${target.origin}${target.serverName === undefined ? '' : `, serverName ${target.serverName}`})`;
  const code = codeOf(error);
  if (code !== undefined && TLS_ERROR.test(code)) {
    return new RampartError('GW_UPSTREAM_TLS', {
      detail: `${where}: certificate refused against the pinned ca — ${reasonOf(error)}`,
      cause: error,
    });
  }
  if (isTimeout(error)) {
    return new RampartError('GW_UPSTREAM_TIMEOUT', {
      detail: `${where} did not answer in time`,
      cause: error,
    });
  }
  return new RampartError('GW_UPSTREAM_UNAVAILABLE', {
    detail: `${where}: ${reasonOf(error)}`,
    cause: error,
  });
}
