import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { type Agent, request } from 'undici';
import { RampartError } from '@rampart/errors';
import type { WorkloadCredentials } from '@rampart/mesh';
import { meshAgent } from '@rampart/sdk';
import type { AccessTokenClaims } from '@rampart/tokens';
import { readIntrospectionAnswer, type IntrospectionOutcome } from './introspection-answer.ts';

/**
 * The shape of identity's opaque access tokens: oidc-provider's `nanoid` of 256 random bits, 43
 * characters of the URL-safe alphabet. It never has a dot, so it is never mistaken for a JWT.
 */
const OPAQUE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Whether `token` is shaped like one of identity's opaque access tokens (only those are introspected). */
export function isOpaqueToken(token: string): boolean {
  return OPAQUE_TOKEN.test(token);
}

export interface IntrospectionClientOptions {
  /** `https://127.0.0.1:<identity>/internal/introspect`. */
  readonly url: string;
  /** `spiffe://<td>/rampart/identity`: the only server a token is ever sent to. */
  readonly identitySpiffeId: string;
  /** The gateway's workload credentials; read at each lookup, so a renewed certificate is used at once. */
  readonly credentials: () => WorkloadCredentials;
  /** The exact `iss` identity must answer with. */
  readonly issuer: string;
  /** This gateway's resource identifier; the answer's `aud` must name it. */
  readonly audience: string;
  /** How long an active answer is reused (never past the token's `exp`); default 10 s — the revocation delay. */
  readonly activeTtlMs?: number;
  /** How long an inactive answer is reused, so a garbage token cannot hammer identity; default 5 s. */
  readonly inactiveTtlMs?: number;
  /** Entries of each cache (active, inactive); default 10 000. */
  readonly maxEntries?: number;
  /** Lookups of distinct tokens waiting on identity at once; more are refused. Default 64. */
  readonly maxInFlight?: number;
  /** Connect, headers and body timeouts of one lookup; default 2 s. */
  readonly timeoutMs?: number;
  /** Clock in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

export interface IntrospectionStats {
  readonly active: number;
  readonly inactive: number;
  readonly inFlight: number;
  readonly hits: number;
  /** Requests sent to identity. */
  readonly lookups: number;
  readonly evictions: number;
}

export interface IntrospectionClient {
  /**
   * The claims of a live opaque access token. Throws `GW_TOKEN_INVALID` (not active, not opaque,
   * bad answer), `GW_TOKEN_EXPIRED`, or `GW_INTROSPECTION_UNAVAILABLE` (with `retryAfterSeconds`)
   * when identity cannot say — the token is then never accepted. `beforeLookup` runs only when
   * identity must be asked (no cached answer, no lookup of the same token in flight); what it throws
   * refuses the request — the caller's per-client budget of lookups.
   */
  introspect(token: string, beforeLookup?: () => Promise<void>): Promise<AccessTokenClaims>;
  stats(): IntrospectionStats;
  /** Closes the connections to identity. */
  close(): Promise<void>;
}

type Refusal = Extract<IntrospectionOutcome, { kind: 'refused' }>;

/**
 * Checks opaque access tokens with identity (`POST /internal/introspect`, RFC 7662 shaped) over
 * mTLS with the gateway's workload certificate, trusting only identity's SPIFFE ID, and returns
 * the same claims the JWT verifier does, so every later check (revocation feed, DPoP, policy)
 * applies unchanged.
 *
 * Bounded and fail-closed:
 * - answers are cached by SHA-256 of the token (the cache never holds a usable token): active ones
 *   until `exp` or `activeTtlMs`, whichever is first — a revocation at identity takes effect within
 *   that bound — and inactive ones for `inactiveTtlMs`, in two separate LRUs so a flood of garbage
 *   cannot evict the live tokens;
 * - concurrent lookups of one token share one request, and at most `maxInFlight` distinct tokens
 *   wait on identity at once;
 * - identity unreachable, slow, answering an error or nonsense: `GW_INTROSPECTION_UNAVAILABLE`,
 *   nothing cached — a token identity could not vouch for is never accepted.
 *
 * @example
 * const introspection = createIntrospectionClient({ url, identitySpiffeId, credentials, issuer, audience });
 * const claims = isOpaqueToken(token) ? await introspection.introspect(token) : await verifier.verify(token);
 */
export function createIntrospectionClient(options: IntrospectionClientOptions): IntrospectionClient {
  const now = options.now ?? Date.now;
  const activeTtlMs = positive(options.activeTtlMs ?? 10_000, 'activeTtlMs');
  const inactiveTtlMs = positive(options.inactiveTtlMs ?? 5_000, 'inactiveTtlMs');
  const maxInFlight = options.maxInFlight ?? 64;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
    throw new TypeError('maxInFlight must be a positive integer');
  const timeoutMs = positive(options.timeoutMs ?? 2_000, 'timeoutMs');
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('maxEntries must be a positive integer');
  let evictions = 0;
  const answers = <V extends object>(): LRUCache<string, V> =>
    new LRUCache<string, V>({
      max: maxEntries,
      // Staleness is read from this clock at every lookup (no 1 ms memo of the time).
      perf: { now },
      ttlResolution: 0,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') evictions += 1;
      },
    });
  const active = answers<AccessTokenClaims>();
  const inactive = answers<Refusal>();
  /**
   * Keeps `value` until `expiresAtMs` (excluded). lru-cache calls an entry stale once its age
   * exceeds `ttl`, so the ttl stops one (whole) millisecond short; nothing under 1 ms is kept (a
   * ttl of 0 would mean "forever").
   */
  function keep<V extends object>(
    cache: LRUCache<string, V>,
    key: string,
    value: V,
    nowMs: number,
    expiresAtMs: number,
  ): void {
    const ttl = expiresAtMs - nowMs - 1;
    if (ttl < 1) cache.delete(key);
    else cache.set(key, value, { ttl, start: nowMs });
  }
  const inFlight = new Map<string, Promise<IntrospectionOutcome>>();
  let connection: { readonly credentials: WorkloadCredentials; readonly agent: Agent } | undefined;
  let hits = 0;
  let lookups = 0;

  /** The agent for the current credentials; a renewed certificate gets a new one. */
  function agent(): Agent {
    const credentials = options.credentials();
    if (connection !== undefined && sameCredentials(connection.credentials, credentials)) {
      return connection.agent;
    }
    const previous = connection?.agent;
    connection = {
      credentials,
      agent: meshAgent(credentials, options.identitySpiffeId, {
        timeoutMs,
        maxResponseBytes: 64 * 1024,
      }),
    };
    // Requests already sent on the old one finish first.
    void previous?.close();
    return connection.agent;
  }

  async function lookup(key: string, token: string): Promise<IntrospectionOutcome> {
    lookups += 1;
    let answer: unknown;
    try {
      const response = await request(options.url, {
        dispatcher: agent(),
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token }).toString(),
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`identity answered ${response.statusCode}`);
      }
      answer = await response.body.json();
    } catch (error) {
      throw unavailable(
        `identity could not be asked: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    }
    const nowMs = now();
    const outcome = readIntrospectionAnswer(answer, {
      issuer: options.issuer,
      audience: options.audience,
      tokenId: `sha256:${key}`,
      nowSeconds: Math.floor(nowMs / 1000),
    });
    if (outcome.kind === 'active') {
      keep(
        active,
        key,
        outcome.claims,
        nowMs,
        Math.min(outcome.claims.expiresAt * 1000, nowMs + activeTtlMs),
      );
    } else {
      keep(inactive, key, outcome, nowMs, nowMs + inactiveTtlMs);
    }
    return outcome;
  }

  return {
    async introspect(token, beforeLookup) {
      if (!isOpaqueToken(token)) {
        throw new RampartError('GW_TOKEN_INVALID', { detail: 'not an opaque token: not sent to identity' });
      }
      const key = createHash('sha256').update(token).digest('base64url');
      const claims = active.get(key);
      if (claims !== undefined) {
        hits += 1;
        return claims;
      }
      const known = inactive.get(key);
      if (known !== undefined) {
        hits += 1;
        throw new RampartError(known.code, { detail: known.detail });
      }
      let pending = inFlight.get(key);
      if (pending === undefined) {
        if (inFlight.size >= maxInFlight) {
          throw unavailable(`${maxInFlight} introspections already in flight`);
        }
        if (beforeLookup !== undefined) await beforeLookup();
        pending = inFlight.get(key);
        if (pending === undefined) {
          pending = lookup(key, token).finally(() => inFlight.delete(key));
          inFlight.set(key, pending);
        }
      }
      const outcome = await pending;
      if (outcome.kind === 'active') return outcome.claims;
      throw new RampartError(outcome.code, { detail: outcome.detail });
    },
    stats: () =>
      Object.freeze({
        active: active.size,
        inactive: inactive.size,
        inFlight: inFlight.size,
        hits,
        lookups,
        evictions,
      }),
    async close() {
      const current = connection;
      connection = undefined;
      await current?.agent.close();
    },
  };
}

function unavailable(detail: string, cause?: unknown): RampartError {
  return Object.assign(
    new RampartError('GW_INTROSPECTION_UNAVAILABLE', { detail, ...(cause === undefined ? {} : { cause }) }),
    { retryAfterSeconds: 1 },
  );
}

function sameCredentials(a: WorkloadCredentials, b: WorkloadCredentials): boolean {
  return (
    a === b ||
    (a.certPem === b.certPem &&
      a.keyPem === b.keyPem &&
      a.caPems.length === b.caPems.length &&
      a.caPems.every((pem, index) => pem === b.caPems[index]))
  );
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}
