import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { type Agent, type Dispatcher, request as undiciRequest } from 'undici';
import { peerOrigin, type RampartConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import { exchangeToken, serviceSpiffeId, type WorkloadIdentity } from '@rampart/mesh';
import { formatIdempotencyKey, IDEMPOTENCY_KEY_HEADER } from './idempotency/index.ts';
import { meshAgent } from './mesh-agent.ts';
import { tokenOf } from './request-token.ts';

export interface CallOptions {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query on the callee, e.g. `/payments`. */
  readonly path: string;
  /** Sent as JSON. */
  readonly body?: unknown;
  /**
   * Sent as `Idempotency-Key` (POST, PATCH): derive it from what makes the call unique (an order,
   * an attempt) so that a retry of the same call is answered, not run, a second time.
   */
  readonly idempotencyKey?: string;
}

export interface CallResult {
  readonly status: number;
  readonly body: unknown;
}

/** A request relayed as it came (the sidecar's egress port): the body streams through. */
export interface ForwardOptions {
  readonly method: string;
  /** Path and query on the callee, starting with `/`. */
  readonly path: string;
  /** Headers to send besides `authorization`, which is always the exchanged token. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body?: Dispatcher.DispatchOptions['body'];
}

export interface ServiceClientsOptions {
  /** This service's name. */
  readonly self: string;
  readonly trustDomain: string;
  readonly identity: WorkloadIdentity;
  readonly authorityUrl: string;
  readonly authoritySpiffeId: string;
  readonly config: () => Readonly<RampartConfig>;
  /** Adds W3C trace context of `request` to outgoing headers. */
  readonly injectTrace?: (request: FastifyRequest, headers: Record<string, string>) => void;
}

/** Exchanged tokens kept at most; the least recently used is evicted first. */
const MAX_CACHED_TOKENS = 1024;
/** An exchanged token is renewed this long before it expires. */
const TOKEN_EXPIRY_MARGIN_MS = 10_000;
const CALL_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Calls other services by name over mTLS, along the declared call graph only. Each hop carries
 * its own internal token, addressed to the callee and obtained by token exchange (RFC 8693) from
 * the one this request arrived with — a service never presents a token meant for someone else.
 * Connections are pooled per callee (undici keep-alive) and rebuilt when the certificate rotates.
 */
export class ServiceClients {
  readonly #options: ServiceClientsOptions;
  readonly #agents = new Map<string, Agent>();
  /** Exchanged tokens by callee and subject token, each until TOKEN_EXPIRY_MARGIN_MS before its `exp`. */
  readonly #tokens = new LRUCache<string, string>({
    max: MAX_CACHED_TOKENS,
    ttlResolution: 0,
    perf: { now: () => Date.now() },
  });

  constructor(options: ServiceClientsOptions) {
    this.#options = options;
  }

  /**
   * @example
   * const payment = await svc.call(request, 'payments', { method: 'POST', path: '/payments', body });
   */
  async call(request: FastifyRequest, callee: string, options: CallOptions): Promise<CallResult> {
    const target = this.#allowedCallee(callee);
    const subjectToken = tokenOf(request);
    if (subjectToken === undefined)
      throw new RampartError('SDK_UNAUTHENTICATED', { detail: 'no token to exchange' });
    const token = await this.#tokenFor(subjectToken, callee);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'x-request-id': request.id,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.idempotencyKey === undefined
        ? {}
        : { [IDEMPOTENCY_KEY_HEADER]: formatIdempotencyKey(options.idempotencyKey) }),
    };
    this.#options.injectTrace?.(request, headers);
    const response = await undiciRequest(`${peerOrigin(callee, target.port)}${options.path}`, {
      dispatcher: this.#agent(callee),
      method: options.method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: text.length === 0 ? null : (JSON.parse(text) as unknown) };
  }

  /**
   * Relays a request to `callee` along the declared call graph, as {@link call} does, with a token
   * exchanged from `subjectToken` (an internal token addressed to this service) for that hop; the
   * answer streams back (at most 1 MiB, within 10 s). The sidecar's egress port is built on it.
   *
   * @throws TypeError for a callee rampart.yaml does not declare; `SDK_CALLER_NOT_ALLOWED` when this
   *   service is not among its callers.
   */
  async forward(
    subjectToken: string,
    callee: string,
    options: ForwardOptions,
  ): Promise<Dispatcher.ResponseData> {
    const target = this.#allowedCallee(callee);
    const token = await this.#tokenFor(subjectToken, callee);
    return undiciRequest(`${peerOrigin(callee, target.port)}${options.path}`, {
      dispatcher: this.#agent(callee),
      method: options.method,
      headers: { ...options.headers, authorization: `Bearer ${token}` },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
  }

  /** The callee's entry, when rampart.yaml lets this service call it. */
  #allowedCallee(callee: string): { readonly port: number } {
    const { services, external } = this.#options.config();
    const target = Object.hasOwn(services, callee) ? services[callee] : undefined;
    if (target === undefined && Object.hasOwn(external ?? {}, callee)) {
      throw new TypeError(
        `'${callee}' is an external upstream of rampart.yaml, outside the mesh: svc.call reaches services only ` +
          '(it would hand the upstream an internal token); call its URL with fetch, or route clients to it through the gateway',
      );
    }
    if (target === undefined) throw new TypeError(`no service named '${callee}' in rampart.yaml`);
    if (!(target.callers ?? []).includes(this.#options.self)) {
      throw new RampartError('SDK_CALLER_NOT_ALLOWED', {
        detail: `${this.#options.self} is not among the callers of ${callee} in rampart.yaml`,
      });
    }
    return target;
  }

  /** New certificate: later connections use it; pooled ones finish their requests and close. */
  rotate(): void {
    const old = [...this.#agents.values()];
    this.#agents.clear();
    for (const agent of old) void agent.close();
  }

  async close(): Promise<void> {
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.close()));
  }

  #agent(callee: string): Agent {
    let agent = this.#agents.get(callee);
    if (agent === undefined) {
      agent = meshAgent(
        this.#options.identity.current(),
        serviceSpiffeId(this.#options.trustDomain, callee),
        { timeoutMs: CALL_TIMEOUT_MS, maxResponseBytes: MAX_RESPONSE_BYTES },
      );
      this.#agents.set(callee, agent);
    }
    return agent;
  }

  async #tokenFor(subjectToken: string, audience: string): Promise<string> {
    const key = `${audience} ${createHash('sha256').update(subjectToken).digest('base64url')}`;
    const cached = this.#tokens.get(key);
    if (cached !== undefined) return cached;
    const { token, expiresAt } = await exchangeToken({
      authorityUrl: this.#options.authorityUrl,
      authoritySpiffeId: this.#options.authoritySpiffeId,
      identity: this.#options.identity,
      subjectToken,
      audience,
    });
    const nowMs = Date.now();
    // lru-cache calls an entry stale once its age exceeds `ttl`: one (whole) millisecond short of
    // the margin, and nothing under 1 ms is kept (a ttl of 0 would mean "forever").
    const ttl = expiresAt.getTime() - TOKEN_EXPIRY_MARGIN_MS - nowMs - 1;
    if (ttl >= 1) this.#tokens.set(key, token, { ttl, start: nowMs });
    return token;
  }
}
