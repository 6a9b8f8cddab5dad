import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Kubernetes join attempts one address may make per window (each costs the API server a TokenReview). */
export const DEFAULT_PSAT_JOINS_PER_ADDRESS = 20;
export const DEFAULT_PSAT_JOIN_WINDOW_SECONDS = 60;
/** TokenReviews in flight at once, from every address together. */
export const DEFAULT_MAX_REVIEWS_IN_FLIGHT = 32;

export interface JoinLimiterOptions {
  readonly perAddress?: number;
  readonly windowSeconds?: number;
  readonly maxInFlight?: number;
}

/** A slot for one attempt: release it when the attempt is over. */
export type JoinSlot =
  | { readonly ok: true; release(): void }
  | { readonly ok: false; readonly retryAfterSeconds: number; readonly reason: 'per_address' | 'in_flight' };

export interface JoinLimiter {
  acquire(address: string): Promise<JoinSlot>;
}

/**
 * Bounds the Kubernetes joins: each asks the API server to review a token, so a flood of bogus
 * joins must not become a flood of TokenReviews. At most `perAddress` attempts per address per
 * `windowSeconds` (a pod joins once and then renews over mTLS), and at most `maxInFlight` reviews
 * outstanding at once. In memory: every replica of the authority keeps its own count.
 *
 * @example
 * const slot = await limiter.acquire(request.ip);
 * if (!slot.ok) throw new RampartError('MESH_JOIN_RATE_LIMITED');
 * try { await attestor.attest(evidence); } finally { slot.release(); }
 */
export function createJoinLimiter(options: JoinLimiterOptions = {}): JoinLimiter {
  const windowSeconds = options.windowSeconds ?? DEFAULT_PSAT_JOIN_WINDOW_SECONDS;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_REVIEWS_IN_FLIGHT;
  const perAddress = new RateLimiterMemory({
    points: options.perAddress ?? DEFAULT_PSAT_JOINS_PER_ADDRESS,
    duration: windowSeconds,
  });
  let inFlight = 0;
  return {
    async acquire(address) {
      try {
        await perAddress.consume(address);
      } catch (thrown) {
        if (!(thrown instanceof RateLimiterRes)) throw thrown;
        return {
          ok: false,
          retryAfterSeconds: Math.max(1, Math.ceil(thrown.msBeforeNext / 1000)),
          reason: 'per_address',
        };
      }
      if (inFlight >= maxInFlight) return { ok: false, retryAfterSeconds: 1, reason: 'in_flight' };
      inFlight++;
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          inFlight--;
        },
      };
    },
  };
}
