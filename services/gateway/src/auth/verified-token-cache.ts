import { createHash } from 'node:crypto';
import type { AccessTokenClaims } from './access-token-claims.ts';

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

interface Entry {
  readonly claims: AccessTokenClaims;
  readonly expiresAtMs: number;
}

/**
 * Claims of tokens already verified, until their `exp`, so a token seen again costs a hash
 * and a map lookup instead of a signature check. Keyed by SHA-256 of the token: the cache
 * never holds a usable token. Bounded (LRU), so no attacker can grow it without limit, and
 * only verified tokens enter it.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #byJti = new Map<string, Set<string>>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  constructor(options: VerifiedTokenCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer');
    }
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  /** The cached claims for this exact token, if it was verified and has not expired or been revoked. */
  get(token: string): AccessTokenClaims | undefined {
    const key = VerifiedTokenCache.keyOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses += 1;
      return undefined;
    }
    if (this.#now() >= entry.expiresAtMs) {
      this.#delete(key, entry);
      this.#misses += 1;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits += 1;
    return entry.claims;
  }

  /** Remembers verified claims until `claims.expiresAt`. */
  set(token: string, claims: AccessTokenClaims): void {
    const expiresAtMs = claims.expiresAt * 1000;
    if (this.#now() >= expiresAtMs) return;
    const key = VerifiedTokenCache.keyOf(token);
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#delete(key, previous);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.entries().next();
      if (oldest.done === true) break;
      this.#delete(oldest.value[0], oldest.value[1]);
      this.#evictions += 1;
    }
    this.#entries.set(key, { claims, expiresAtMs });
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
      const entry = this.#entries.get(key);
      if (entry !== undefined) {
        this.#delete(key, entry);
        dropped += 1;
      }
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

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    const keys = this.#byJti.get(entry.claims.jti);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.#byJti.delete(entry.claims.jti);
  }
}
