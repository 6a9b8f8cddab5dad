import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { ThreadCounters } from './thread-counters.ts';

/**
 * The counter operations the rate limiter and the DPoP replay cache need: rate-limiter-flexible's,
 * where a refusal rejects with a `RateLimiterRes` and a failing store with an `Error`.
 */
export interface CounterStore {
  consume(key: string): Promise<RateLimiterRes>;
  penalty(key: string): Promise<RateLimiterRes>;
  block(key: string, seconds: number): Promise<RateLimiterRes>;
}

/** One store's shape: `points` per `duration` seconds; a key over it is blocked for `blockDuration`. */
export interface CounterOptions {
  readonly keyPrefix: string;
  readonly points: number;
  readonly duration: number;
  readonly blockDuration: number;
}

/**
 * Where counters live: this thread's memory (one gateway, one worker), the gateway's main thread
 * (its workers share one count — `thread-counters.ts`), or Redis (every replica shares one count).
 */
export type CounterBackend =
  | { readonly kind: 'memory' }
  | { readonly kind: 'threads'; readonly counters: ThreadCounters }
  | { readonly kind: 'redis'; readonly client: Redis; readonly keyPrefix: string };

export function counterStore(backend: CounterBackend, options: CounterOptions): CounterStore {
  switch (backend.kind) {
    case 'memory':
      return new RateLimiterMemory(options);
    case 'threads':
      return backend.counters.store(options);
    case 'redis':
      return new RateLimiterRedis({
        ...options,
        storeClient: backend.client,
        keyPrefix: `${backend.keyPrefix}:${options.keyPrefix}`,
      });
  }
}
