import { LRUCache } from 'lru-cache';
import { varyNames } from './cache-policy.ts';

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A stored answer: always a `200`, headers as the client gets them (before security headers). */
export interface CachedAnswer {
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  readonly storedAtMs: number;
}

export interface ResponseCacheOptions {
  /** Most answers kept; default 10 000. */
  readonly maxEntries?: number;
  /** Most bytes kept (bodies, headers and keys); default 64 MiB. */
  readonly maxBytes?: number;
  /** Largest answer stored; default 1 MiB. */
  readonly maxEntryBytes?: number;
  /** Clock in milliseconds, for tests. */
  readonly now?: () => number;
}

export interface ResponseCacheStats {
  readonly entries: number;
  readonly bytes: number;
}

export interface ResponseCache {
  /**
   * The stored answer for `key` if it is fresh and the request matches its `Vary` fields;
   * refreshes its place in the LRU order.
   */
  get(key: string, requestHeaders: Headers): CachedAnswer | undefined;
  /**
   * Stores an answer for `ttlMs` under `key`, indexed by the canonical `path` for invalidation,
   * with the request's values of the fields the answer's `Vary` names. An answer over
   * `maxEntryBytes` is not stored.
   */
  set(
    key: string,
    path: string,
    answer: { headers: CachedAnswer['headers']; body: Buffer },
    ttlMs: number,
    requestHeaders: Headers,
  ): void;
  /** Drops every answer stored for this canonical path (after a successful unsafe request). */
  invalidatePath(path: string): void;
  clear(): void;
  stats(): ResponseCacheStats;
}

interface Entry extends CachedAnswer {
  readonly path: string;
  /** The request's values of the `Vary` fields, as stored. */
  readonly vary: readonly (readonly [name: string, value: string | undefined])[];
}

/** Approximate bookkeeping per entry (the cache's slot, the entry object, the index). */
const ENTRY_OVERHEAD = 256;

/**
 * A bounded LRU of upstream answers (`lru-cache`): at most `maxEntries` and `maxBytes`, least
 * recently used evicted first, expired entries dropped when met. Keys come from `responseCacheKey`
 * (fixed-size digests), so no request can grow a key.
 *
 * @example
 * const cache = createResponseCache({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
 * const hit = cache.get(key, request.headers);
 */
export function createResponseCache(options: ResponseCacheOptions = {}): ResponseCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
  const now = options.now ?? Date.now;
  for (const [name, value] of [
    ['maxEntries', maxEntries],
    ['maxBytes', maxBytes],
    ['maxEntryBytes', maxEntryBytes],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  }
  /** The keys stored under each canonical path, kept in step by `dispose`. */
  const byPath = new Map<string, Set<string>>();
  const entries = new LRUCache<string, Entry>({
    max: maxEntries,
    maxSize: maxBytes,
    maxEntrySize: Math.min(maxEntryBytes, maxBytes),
    // Staleness is read from this clock at every lookup (no 1 ms memo of the time).
    perf: { now },
    ttlResolution: 0,
    dispose: (entry, key) => {
      const keys = byPath.get(entry.path);
      keys?.delete(key);
      if (keys?.size === 0) byPath.delete(entry.path);
    },
  });

  return {
    get(key, requestHeaders) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      for (const [name, value] of entry.vary) {
        if (headerText(requestHeaders[name]) !== value) return undefined;
      }
      return entry;
    },
    set(key, path, answer, ttlMs, requestHeaders) {
      // lru-cache calls an entry stale once its age exceeds `ttl`; the answer is stale at
      // `ttlMs` itself, so the ttl stops one (whole) millisecond short (and 0 would mean "forever").
      const ttl = ttlMs - 1;
      if (ttl < 1) return;
      let size = ENTRY_OVERHEAD + key.length * 2 + path.length * 2 + answer.body.length;
      for (const [name, value] of Object.entries(answer.headers)) {
        size += name.length + (typeof value === 'string' ? value.length : value.join('').length);
      }
      if (size > Math.min(maxEntryBytes, maxBytes)) return;
      const varyHeader = answer.headers['vary'];
      const vary =
        varyHeader === undefined
          ? []
          : varyNames(varyHeader).map((name) => [name, headerText(requestHeaders[name])] as const);
      const storedAtMs = now();
      entries.set(
        key,
        { headers: answer.headers, body: answer.body, storedAtMs, path, vary },
        { ttl, start: storedAtMs, size },
      );
      let keys = byPath.get(path);
      if (keys === undefined) {
        keys = new Set();
        byPath.set(path, keys);
      }
      keys.add(key);
    },
    invalidatePath(path) {
      const keys = byPath.get(path);
      if (keys === undefined) return;
      for (const key of [...keys]) entries.delete(key);
      byPath.delete(path);
    },
    clear() {
      entries.clear();
      byPath.clear();
    },
    stats: () => ({ entries: entries.size, bytes: entries.calculatedSize }),
  };
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.join(', ');
}
