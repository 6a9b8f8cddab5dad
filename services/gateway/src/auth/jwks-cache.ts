import {
  createLocalJWKSet,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
} from 'jose';
import { RampartError } from '@rampart/errors';
import {
  AccessTokenError,
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
  checkAccessTokenAlgorithms,
  type AccessTokenAlgorithm,
} from '@rampart/tokens';
import { checkJwksUrl, createJwksFetcher, type JwksFetcher } from './jwks-fetch.ts';

/** The slice of a logger the key cache uses (a pino `Logger` fits). */
export interface AuthLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Resolves the verification key for a JWS protected header, from the issuer's key set only: the
 * key source of `verifyAccessToken` (`@rampart/tokens`). A `kid` not in the set is an
 * `AccessTokenError` `unknown_key`; a set that cannot be had is `GW_KEYS_UNAVAILABLE`.
 */
export interface KeySource {
  getKey(header: JWSHeaderParameters): Promise<CryptoKey>;
}

export interface JwksCacheOptions {
  /** The issuer's `jwks_uri`. HTTPS; see `dangerouslyAllowHttp`. */
  readonly url: string | URL;
  /** Keys whose `alg` is outside this list are ignored. Default ES256, EdDSA, PS256. */
  readonly algorithms?: readonly AccessTokenAlgorithm[];
  /** Age after which the set is refreshed in the background. Default 5 min. */
  readonly maxAgeMs?: number;
  /** Age after which a set that could not be refreshed is no longer used (fail closed). Default 1 h. */
  readonly maxStaleMs?: number;
  /** Least time between two refetches caused by an unknown `kid`. Default 30 s. */
  readonly cooldownMs?: number;
  /** Least time between a failed fetch and the next attempt. Default 5 s. */
  readonly failureBackoffMs?: number;
  /** Deadline for one fetch. Default 5 s. */
  readonly timeoutMs?: number;
  /** Largest key-set document accepted. Default 64 KiB. */
  readonly maxResponseBytes?: number;
  /** Trust anchors (PEM) for the issuer's TLS certificate, e.g. `.rampart/ca.pem`. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** An origin to connect to in place of the URL's own, naming the URL's host still (`JwksFetcherOptions.connectTo`). */
  readonly connectTo?: string;
  /** Allows `http://127.0.0.1` / `http://[::1]`. For tests only: logged as a warning and shown in `stats()`. */
  readonly dangerouslyAllowHttp?: boolean;
  readonly logger?: AuthLogger;
  /** Clock in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

/** Counters and state for metrics and `/readyz`. */
export interface JwksCacheStats {
  readonly fetches: number;
  readonly fetchFailures: number;
  readonly kidMissRefreshes: number;
  readonly cooldownHits: number;
  readonly keys: number;
  readonly ignoredKeys: number;
  /** Age of the key set in use, in ms; undefined before the first good fetch. */
  readonly ageMs: number | undefined;
  readonly lastError: string | undefined;
  readonly dangerouslyAllowHttp: boolean;
}

export interface JwksCache extends KeySource {
  /** Fetches now (sharing any fetch in flight); throws GW_KEYS_UNAVAILABLE if no usable set results. */
  refresh(): Promise<void>;
  stats(): JwksCacheStats;
  close(): Promise<void>;
}

interface KeySet {
  readonly resolve: (header: JWSHeaderParameters) => Promise<CryptoKey>;
  readonly kids: ReadonlySet<string>;
  readonly ignored: number;
  readonly fetchedAt: number;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;
const ASYMMETRIC_KTY: ReadonlySet<string> = new Set(['EC', 'OKP', 'RSA']);

function isUsableKey(key: unknown, algorithms: ReadonlySet<string>): key is JWK & { kid: string } {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return false;
  const jwk = key as Record<string, unknown>;
  if (typeof jwk['kid'] !== 'string' || jwk['kid'].length === 0) return false;
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return false;
  if (jwk['alg'] !== undefined && (typeof jwk['alg'] !== 'string' || !algorithms.has(jwk['alg'])))
    return false;
  if (typeof jwk['kty'] !== 'string' || !ASYMMETRIC_KTY.has(jwk['kty'])) return false;
  return PRIVATE_MEMBERS.every((member) => !(member in jwk));
}

/** Builds a key set from a fetched document; throws `Error` when the document is not a JWKS. */
function toKeySet(document: unknown, algorithms: ReadonlySet<string>, fetchedAt: number): KeySet {
  if (typeof document !== 'object' || document === null || !('keys' in document)) {
    throw new Error('JWKS document has no keys member');
  }
  const { keys } = document;
  if (!Array.isArray(keys)) throw new Error('JWKS keys member is not an array');
  const usable = keys.filter((key): key is JWK & { kid: string } => isUsableKey(key, algorithms));
  const set: JSONWebKeySet = { keys: usable };
  return {
    resolve: createLocalJWKSet(set),
    kids: new Set(usable.map((key) => key.kid)),
    ignored: keys.length - usable.length,
    fetchedAt,
  };
}

function describeKid(kid: unknown): string {
  return typeof kid === 'string' ? JSON.stringify(kid.slice(0, 64)) : typeof kid;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

/**
 * A cache of the issuer's JSON Web Key Set: refreshed in the background after `maxAgeMs`,
 * refetched at once on an unknown `kid` (at most once per `cooldownMs`, concurrent misses
 * sharing one fetch), and kept while the issuer is down until `maxStaleMs`, after which —
 * or before any good fetch — key lookups fail closed with GW_KEYS_UNAVAILABLE.
 *
 * Why not jose's `createRemoteJWKSet` (jose picks the key here, through `createLocalJWKSet`): as of
 * jose 6.2 it serves no stale set while the issuer is down (past `cacheMaxAge` a failed refetch
 * fails every lookup), has no backoff after a failed fetch (every unknown `kid` refetches while
 * the issuer is down), counts its cooldown from the last good fetch rather than the last
 * `kid`-miss refetch, refreshes only inside a request, and reads `Date.now()` (no clock to test
 * with). Wrapping it would still need our fetcher (platform CA, size cap, media type, no
 * redirects) and the key filters, so the cache stays ours; revisit if jose gains stale-if-error.
 *
 * @example
 * const jwks = createJwksCache({ url: 'https://127.0.0.1:8443/auth/jwks', ca: readFileSync('.rampart/ca.pem') });
 * const verifier = createAccessTokenVerifier({ issuer, audience, jwks });
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const dangerouslyAllowHttp = options.dangerouslyAllowHttp === true;
  const url = checkJwksUrl(options.url, dangerouslyAllowHttp);
  const algorithms = new Set<string>(
    checkAccessTokenAlgorithms(options.algorithms ?? DEFAULT_ACCESS_TOKEN_ALGORITHMS),
  );
  const maxAgeMs = positive('maxAgeMs', options.maxAgeMs ?? 5 * 60_000);
  const maxStaleMs = positive('maxStaleMs', options.maxStaleMs ?? 60 * 60_000);
  const cooldownMs = positive('cooldownMs', options.cooldownMs ?? 30_000);
  const failureBackoffMs = positive('failureBackoffMs', options.failureBackoffMs ?? 5_000);
  if (maxStaleMs < maxAgeMs) throw new TypeError('maxStaleMs must be at least maxAgeMs');
  const now = options.now ?? Date.now;
  const { logger } = options;
  const fetcher: JwksFetcher = createJwksFetcher({
    url,
    timeoutMs: positive('timeoutMs', options.timeoutMs ?? 5_000),
    maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes ?? 64 * 1024),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.connectTo === undefined ? {} : { connectTo: checkJwksUrl(options.connectTo, false) }),
  });
  if (dangerouslyAllowHttp) {
    logger?.warn(
      { dangerouslyAllowHttp: true, url: url.href },
      'JWKS cache: dangerouslyAllowHttp is on; key sets may be fetched over plain HTTP (tests only)',
    );
  }

  let current: KeySet | undefined;
  let inFlight: Promise<void> | undefined;
  let lastFailureAt: number | undefined;
  let lastKidRefreshAt: number | undefined;
  let lastError: string | undefined;
  let fetches = 0;
  let fetchFailures = 0;
  let kidMissRefreshes = 0;
  let cooldownHits = 0;

  async function fetchOnce(): Promise<void> {
    fetches += 1;
    try {
      current = toKeySet(await fetcher.fetch(), algorithms, now());
      lastFailureAt = undefined;
      lastError = undefined;
    } catch (error) {
      fetchFailures += 1;
      lastFailureAt = now();
      lastError = error instanceof Error ? error.message : String(error);
      logger?.warn({ url: url.href, reason: lastError }, 'JWKS fetch failed; keeping the last good key set');
    }
  }

  /** Starts a fetch unless one is in flight; never rejects. */
  function fetchShared(): Promise<void> {
    inFlight ??= fetchOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function inFailureBackoff(): boolean {
    return lastFailureAt !== undefined && now() - lastFailureAt < failureBackoffMs;
  }

  function fresh(set: KeySet | undefined): set is KeySet {
    return set !== undefined && now() - set.fetchedAt <= maxStaleMs;
  }

  function unavailable(): RampartError {
    const age =
      current === undefined
        ? 'no key set was ever fetched'
        : `key set is ${now() - current.fetchedAt} ms old`;
    return new RampartError('GW_KEYS_UNAVAILABLE', {
      detail: `${age}; last fetch error: ${lastError ?? 'none'}`,
    });
  }

  async function usableSet(): Promise<KeySet> {
    const set = current;
    if (fresh(set)) {
      if (now() - set.fetchedAt > maxAgeMs && inFlight === undefined && !inFailureBackoff()) {
        void fetchShared();
      }
      return set;
    }
    if (inFlight === undefined && inFailureBackoff()) throw unavailable();
    await fetchShared();
    if (fresh(current)) return current;
    throw unavailable();
  }

  async function afterUnknownKid(set: KeySet): Promise<{ set: KeySet; refreshed: boolean }> {
    if (inFlight !== undefined) {
      await inFlight;
      return { set: current ?? set, refreshed: true };
    }
    const at = now();
    if ((lastKidRefreshAt !== undefined && at - lastKidRefreshAt < cooldownMs) || inFailureBackoff()) {
      cooldownHits += 1;
      return { set, refreshed: false };
    }
    lastKidRefreshAt = at;
    kidMissRefreshes += 1;
    await fetchShared();
    return { set: fresh(current) ? current : set, refreshed: true };
  }

  return {
    async getKey(header) {
      let set = await usableSet();
      const { kid } = header;
      if (typeof kid !== 'string') throw new AccessTokenError('malformed_token', 'kid header missing');
      if (!set.kids.has(kid)) {
        const outcome = await afterUnknownKid(set);
        set = outcome.set;
        if (!set.kids.has(kid)) {
          throw new AccessTokenError(
            'unknown_key',
            `kid ${describeKid(kid)} not in the issuer key set (${outcome.refreshed ? 'after refresh' : 'refresh in cooldown'})`,
          );
        }
      }
      return set.resolve(header);
    },
    async refresh() {
      await fetchShared();
      if (!fresh(current)) throw unavailable();
    },
    stats() {
      return Object.freeze({
        fetches,
        fetchFailures,
        kidMissRefreshes,
        cooldownHits,
        keys: current?.kids.size ?? 0,
        ignoredKeys: current?.ignored ?? 0,
        ageMs: current === undefined ? undefined : now() - current.fetchedAt,
        lastError,
        dangerouslyAllowHttp,
      });
    },
    close: () => fetcher.close(),
  };
}
