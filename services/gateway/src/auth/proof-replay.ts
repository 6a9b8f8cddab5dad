import { RateLimiterRes } from 'rate-limiter-flexible';
import { counterStore, type CounterBackend } from '../shared-state/index.ts';
import { PROOF_WINDOW_SECONDS } from './dpop.ts';

/** Remembers DPoP proof ids (RFC 9449 §11.1) for as long as a proof could be accepted. */
export interface ProofReplayCache {
  /**
   * Resolves true the first time `id` is seen within its window and false on a replay; rejects
   * when a shared store cannot answer (the proof is then refused too).
   */
  remember(id: string, nowSeconds: number): Promise<boolean>;
}

/** Ids are kept for twice the window in which a proof's `iat` is accepted. */
const REMEMBER_SECONDS = 2 * PROOF_WINDOW_SECONDS;

/**
 * A replay cache on the same backend as the rate limits: in memory for one gateway thread; in the
 * main thread for the gateway's workers; in Redis for replicas — so a proof used on one worker or
 * replica is a replay on every other. Each id is a counter of one point: the first use consumes it
 * (atomically in every backend), any other is over the limit.
 *
 * In memory the cache is bounded: when `maxEntries` ids are live, new proofs are refused (fail
 * closed) rather than ids forgotten early.
 *
 * @example
 * const replay = createProofReplayCache({ kind: 'redis', client, keyPrefix: 'rampart:shop' });
 * if (!(await replay.remember(`${jkt}:${jti}`, nowSeconds))) throw invalid('proof replayed');
 */
export function createProofReplayCache(
  backend: CounterBackend = { kind: 'memory' },
  maxEntries = 100_000,
): ProofReplayCache {
  if (backend.kind === 'memory') return memoryReplayCache(maxEntries);
  const store = counterStore(backend, {
    keyPrefix: 'dpop',
    points: 1,
    duration: REMEMBER_SECONDS,
    blockDuration: 0,
  });
  return {
    async remember(id) {
      try {
        await store.consume(id);
        return true;
      } catch (thrown) {
        if (thrown instanceof RateLimiterRes) return false;
        throw thrown;
      }
    },
  };
}

function memoryReplayCache(maxEntries: number): ProofReplayCache {
  const seen = new Map<string, number>();
  const remember = (id: string, nowSeconds: number): boolean => {
    if (seen.size >= maxEntries) {
      for (const [known, expires] of seen) if (expires <= nowSeconds) seen.delete(known);
      if (seen.size >= maxEntries) return false;
    }
    const expires = seen.get(id);
    if (expires !== undefined && expires > nowSeconds) return false;
    seen.delete(id);
    seen.set(id, nowSeconds + REMEMBER_SECONDS);
    return true;
  };
  return {
    remember: (id, nowSeconds) => Promise.resolve(remember(id, nowSeconds)),
  };
}
