import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccessTokenClaims } from '@rampart/tokens';

export interface VerifiedTokenCacheOptions {
  /** Most entries kept; the least recently used goes first. Default 10 000. */
  readonly maxEntries?: number;
  /** Clock in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

export interface VerifiedTokenCacheStats {
  readonly size: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

/**
 * Claims of tokens already verified, until their `exp`, so a token seen again costs a hash
 * and a map lookup instead of a signature check. Keyed by SHA-256 of the token: the cache
 * never holds a usable token. Bounded (`lru-cache`, least recently used evicted first), so no
 * attacker can grow it without limit, and only verified tokens enter it.
 */
export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, AccessTokenClaims>;
  /** The cached keys of each `jti`, kept in step by `dispose` (evicted, expired, replaced, deleted). */
  readonly #byJti = new Map<string, Set<string>>();
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer');
    }
    this.#now = options.now ?? Date.now;
    this.#entries = new LRUCache<string, AccessTokenClaims>({
      max: maxEntries,
      // Each entry's ttl is set from its own `exp`; staleness is read from this clock at every
      // lookup (no 1 ms memo of the time).
      perf: { now: this.#now },
      ttlResolution: 0,
      dispose: (claims, key, reason) => {
        if (reason === 'evict') this.#evictions += 1;
        const keys = this.#byJti.get(claims.jti);
        keys?.delete(key);
        if (keys?.size === 0) this.#byJti.delete(claims.jti);
      },
    });
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The cached claims for this exact token, if it was verified and has not expired or been revoked. */
  get(token: string): AccessTokenClaims | undefined {
    const claims = this.#entries.get(VerifiedTokenCache.keyOf(token));
    if (claims === undefined) this.#misses += 1;
    else this.#hits += 1;
    return claims;
  }

  /** Remembers verified claims until `claims.expiresAt`. */
  set(token: string, claims: AccessTokenClaims): void {
    const nowMs = this.#now();
    // lru-cache calls an entry stale once its age exceeds `ttl`; a token is expired at `exp`
    // itself, so the ttl stops one (whole) millisecond short, and nothing under 1 ms is kept
    // (a ttl of 0 would mean "forever").
    const ttl = claims.expiresAt * 1000 - nowMs - 1;
    const key = VerifiedTokenCache.keyOf(token);
    if (ttl < 1) {
      this.#entries.delete(key);
      return;
    }
    this.#entries.set(key, claims, { ttl, start: nowMs });
    let keys = this.#byJti.get(claims.jti);
    if (keys === undefined) {
      keys = new Set();
      this.#byJti.set(claims.jti, keys);
    }
    keys.add(key);
  }

  /**
   * Drops every cached token with this `jti`; returns how many. Only the cache: a revocation
   * list must still deny the token when it is verified again.
   */
  revoke(jti: string): number {
    const keys = this.#byJti.get(jti);
    if (keys === undefined) return 0;
    let dropped = 0;
    for (const key of [...keys]) {
      // An entry past its ttl is gone already: it does not count as dropped.
      if (this.#entries.has(key)) dropped += 1;
      this.#entries.delete(key);
    }
    this.#byJti.delete(jti);
    return dropped;
  }

  /** Drops everything (e.g. after a signing key was withdrawn from the issuer's key set). */
  clear(): void {
    this.#entries.clear();
    this.#byJti.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): VerifiedTokenCacheStats {
    return Object.freeze({
      size: this.#entries.size,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    });
  }
}
