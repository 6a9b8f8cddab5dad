import type { Principal } from './principal.ts';

interface Entry {
  readonly principal: Principal;
  readonly expiresAtMs: number;
}

/**
 * A bounded least-recently-used cache of verified tokens, each kept until its `exp`. A Map keeps
 * insertion order, so re-inserting on a hit and evicting the first key is an LRU.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new TypeError('TokenCache capacity must be a non-negative integer (0 disables the cache)');
    }
    this.#capacity = capacity;
  }

  get(token: string, nowMs: number): Principal | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (entry.expiresAtMs <= nowMs) return undefined;
    this.#entries.set(token, entry);
    return entry.principal;
  }

  set(token: string, principal: Principal, expiresAtMs: number): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(token);
    this.#entries.set(token, { principal, expiresAtMs });
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
