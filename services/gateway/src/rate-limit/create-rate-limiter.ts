import { parseDuration, type RateLimitConfig } from '@rampart/config';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { counterStore, type CounterBackend, type CounterStore } from '../shared-state/index.ts';
import { digest, rateLimitKeys, type RateLimitRequest } from './rate-limit-keys.ts';

/**
 * Where counters and penalty boxes live: this thread, the gateway's main thread (shared by its
 * workers), or one Redis shared by every replica.
 */
export type RateLimitBackend = CounterBackend;

export interface RateLimiterOptions {
  readonly backend: RateLimitBackend;
  /**
   * What a request gets when the backend fails or times out: `'deny'` (the default — fail
   * closed) or `'allow'`, which must be chosen explicitly and requires `onBackendError`.
   */
  readonly onUnavailable?: 'deny' | 'allow';
  /** Called on every backend failure with the outcome it produced; wire it to an alert. */
  readonly onBackendError?: (error: Error, outcome: 'allowed' | 'denied') => void;
  /** Longest wait for the Redis backend per consume; past it the backend counts as down. Default 500. */
  readonly timeoutMs?: number;
  /** Most distinct (route, limit) pairs; more is a programming error (a raw path passed as route). Default 4096. */
  readonly maxLimiters?: number;
}

export type RateLimitDecision =
  | { readonly allowed: true; readonly remaining: number }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly reason: 'rate' | 'blocked' | 'unavailable';
    };

export interface RateLimiter {
  /** Counts one request against every key of `limit` and says whether it may proceed. */
  consume(request: RateLimitRequest, limit: RateLimitConfig): Promise<RateLimitDecision>;
  /** Keys held in this thread's memory (memory backend; 0 otherwise): counters, blocks and offences. */
  storedKeys(): number;
}

/** The longest a key is ever blocked, and how long offences are remembered. */
export const MAX_BLOCK_SECONDS = 24 * 60 * 60;

interface Limiter {
  readonly id: string;
  readonly limiter: CounterStore;
  readonly capacity: number;
  readonly blockSeconds: number;
}

type KeyOutcome =
  | { readonly ok: true; readonly remaining: number }
  | { readonly ok: false; readonly ms: number; readonly blocked: boolean };

/**
 * A rate limiter over rate-limiter-flexible. One limiter per (route, limit), created on first use;
 * a request is counted under each identity in the limit's `by` and must pass every one. A limit
 * holds `points + burst` requests per `window`. With `blockFor`, a key that exceeds it is blocked
 * for that long, and each further offence within 24 h doubles the block (capped at 24 h); offences
 * live in the same backend, so replicas on one Redis share limits, blocks and escalation exactly.
 *
 * @example
 * const limiter = createRateLimiter({ backend: { kind: 'memory' } });
 * const decision = await limiter.consume({ route: '/orders', ip, user: claims.sub }, route.rateLimit);
 * if (!decision.allowed) throw new RampartError('GW_RATE_LIMITED', { detail: decision.reason }); // 503 GW_RATE_LIMIT_UNAVAILABLE for 'unavailable'
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { backend } = options;
  const policy = options.onUnavailable ?? 'deny';
  const report = options.onBackendError;
  const timeoutMs = options.timeoutMs ?? 500;
  const maxLimiters = options.maxLimiters ?? 4096;
  if (policy === 'allow' && report === undefined) {
    throw new TypeError(
      "onUnavailable: 'allow' lets traffic through unlimited while the backend is down: pass onBackendError so it alerts",
    );
  }
  if (backend.kind === 'redis' && (typeof backend.keyPrefix !== 'string' || backend.keyPrefix.length === 0)) {
    throw new TypeError('a redis rate-limit backend needs a non-empty keyPrefix, e.g. "rampart:gateway"');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    throw new TypeError('timeoutMs must be a positive integer');
  if (!Number.isInteger(maxLimiters) || maxLimiters < 1)
    throw new TypeError('maxLimiters must be a positive integer');

  const store = (keyPrefix: string, points: number, duration: number, blockDuration = 0): CounterStore =>
    counterStore(backend, { keyPrefix, points, duration, blockDuration });

  const offences = store('offences', Number.MAX_SAFE_INTEGER, MAX_BLOCK_SECONDS);
  const limiters = new Map<string, Limiter>();

  function limiterFor(route: string, limit: RateLimitConfig): Limiter {
    const cacheKey = JSON.stringify([
      route,
      limit.points,
      limit.window,
      limit.burst ?? 0,
      limit.blockFor ?? null,
    ]);
    const cached = limiters.get(cacheKey);
    if (cached !== undefined) return cached;
    if (limiters.size >= maxLimiters) {
      throw new TypeError(
        `more than ${maxLimiters} distinct (route, limit) pairs: pass the route template as request.route, never the request path`,
      );
    }
    if (!Number.isInteger(limit.points) || limit.points < 1)
      throw new TypeError('rateLimit.points must be an integer ≥ 1');
    const burst = limit.burst ?? 0;
    if (!Number.isInteger(burst) || burst < 0) throw new TypeError('rateLimit.burst must be an integer ≥ 0');
    const id = digest(cacheKey);
    const capacity = limit.points + burst;
    const blockSeconds = limit.blockFor === undefined ? 0 : seconds(limit.blockFor);
    const created: Limiter = {
      id,
      capacity,
      blockSeconds,
      limiter: store(`rl:${id}`, capacity, seconds(limit.window), blockSeconds),
    };
    limiters.set(cacheKey, created);
    return created;
  }

  function guarded<T>(promise: Promise<T>): Promise<T> {
    // The main thread's counters time out on their own (thread-counters.ts).
    if (backend.kind !== 'redis') return promise;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`rate-limit backend did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => {
      clearTimeout(timer);
    });
  }

  /** The block for a key that has just crossed its limit: doubled per earlier offence within 24 h. */
  async function escalate(entry: Limiter, key: string, baseMs: number): Promise<number> {
    try {
      const count = (await guarded(offences.penalty(`${entry.id}:${key}`))).consumedPoints;
      if (count <= 1) return baseMs;
      const blockSeconds = Math.min(entry.blockSeconds * 2 ** Math.min(count - 1, 32), MAX_BLOCK_SECONDS);
      await guarded(entry.limiter.block(key, blockSeconds));
      return blockSeconds * 1000;
    } catch (error) {
      // The key is over its limit either way; only the escalation is lost.
      report?.(asError(error), 'denied');
      return baseMs;
    }
  }

  async function consumeKey(entry: Limiter, key: string): Promise<KeyOutcome> {
    try {
      const res = await guarded(entry.limiter.consume(key));
      return { ok: true, remaining: res.remainingPoints };
    } catch (thrown) {
      if (!(thrown instanceof RateLimiterRes)) throw thrown;
      if (entry.blockSeconds === 0) return { ok: false, ms: thrown.msBeforeNext, blocked: false };
      // Exactly one consume (atomically, across replicas) is the one that crosses the limit.
      const offence = thrown.consumedPoints === entry.capacity + 1;
      const ms = offence ? await escalate(entry, key, thrown.msBeforeNext) : thrown.msBeforeNext;
      return { ok: false, ms, blocked: true };
    }
  }

  return {
    async consume(request, limit) {
      const entry = limiterFor(request.route, limit);
      const results = await Promise.allSettled(
        rateLimitKeys(request, limit.by).map((key) => consumeKey(entry, key)),
      );
      let remaining = entry.capacity;
      let retryMs = 0;
      let denied = false;
      let blocked = false;
      let failure: Error | undefined;
      for (const result of results) {
        if (result.status === 'rejected') {
          failure ??= asError(result.reason);
        } else if (result.value.ok) {
          remaining = Math.min(remaining, result.value.remaining);
        } else {
          denied = true;
          blocked ||= result.value.blocked;
          retryMs = Math.max(retryMs, result.value.ms);
        }
      }
      if (denied)
        return {
          allowed: false,
          retryAfterSeconds: retryAfter(retryMs),
          reason: blocked ? 'blocked' : 'rate',
        };
      if (failure !== undefined) {
        report?.(failure, policy === 'allow' ? 'allowed' : 'denied');
        return policy === 'allow'
          ? { allowed: true, remaining: 0 }
          : { allowed: false, retryAfterSeconds: 1, reason: 'unavailable' };
      }
      return { allowed: true, remaining };
    },
    storedKeys() {
      let count = 0;
      for (const limiter of [offences, ...[...limiters.values()].map((entry) => entry.limiter)]) {
        if (limiter instanceof RateLimiterMemory) count += limiter.dump().storage.length;
      }
      return count;
    },
  };
}

/** Whole seconds, at least 1: both stores keep expiries in seconds. */
function seconds(duration: string): number {
  return Math.max(1, Math.ceil(parseDuration(duration) / 1000));
}

function retryAfter(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
