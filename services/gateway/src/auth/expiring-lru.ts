export interface ExpiringLruOptions {
  /** Most entries kept; the least recently used goes first. */
  readonly maxEntries: number;
  /** Clock in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * A bounded map whose entries each expire at their own time and whose least recently used entry
 * makes room for a new one. Expired entries are dropped when met or evicted; nothing runs in the
 * background. Keys should be fixed-size digests, so no caller can grow an entry.
 */
export class ExpiringLru<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly expiresAtMs: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  #evictions = 0;

  constructor(options: ExpiringLruOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer');
    }
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** The live value under `key`, now the most recently used; undefined when absent or expired. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (this.#now() >= entry.expiresAtMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` until `expiresAtMs`, evicting the least recently used entry when full. */
  set(key: string, value: V, expiresAtMs: number): void {
    this.#entries.delete(key);
    if (this.#now() >= expiresAtMs) return;
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
      this.#evictions += 1;
    }
    this.#entries.set(key, { value, expiresAtMs });
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Entries dropped to make room (not those that expired). */
  get evictions(): number {
    return this.#evictions;
  }
}
