import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { attemptKeys } from './brute-force-keys.ts';

/** One counter of failed logins: how many in which window, and how long the lock that follows lasts. */
export interface FailureLimit {
  /** Failures (reserved attempts) allowed per window; the next attempt is refused. */
  readonly lockAfter: number;
  readonly windowSeconds: number;
  readonly lockSeconds: number;
}

/** The pair counter also slows attempts down before it locks. */
export interface PairLimit extends FailureLimit {
  /** Failures before the first delay. */
  readonly freeFailures: number;
  /** The first delay; each further failure doubles it, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface BruteForcePolicy {
  /** Per (username, client IP): delays, then a lock that hits only that client. */
  readonly pair: PairLimit;
  /** Per client IP, any usernames (password spraying). */
  readonly ip: FailureLimit;
  /** Per username, across all IPs: the only lock that affects the account everywhere. */
  readonly account: FailureLimit;
}

/**
 * The default login policy:
 *
 * | counter | window | allowed failures | then | delay |
 * | --- | --- | --- | --- | --- |
 * | (username, IP) | 15 min | 10 | that pair locked 15 min | none for the first 3 failures, then 1 s, 2 s, 4 s, 8 s, 8 s… |
 * | IP | 24 h | 100 | that IP blocked 24 h | — |
 * | username | 1 h | 50 | account locked 15 min for every IP | — |
 *
 * A single IP can never lock an account for anyone else: its pair locks after 10 failures per 15
 * minutes, so at most 49 of its failures can fall into one hour — fewer than the 50 the account
 * lock needs. Locking an account takes failures from several IPs (IPv6 counted by /64).
 */
export const BRUTE_FORCE_POLICY: BruteForcePolicy = Object.freeze({
  pair: Object.freeze({
    lockAfter: 10,
    windowSeconds: 15 * 60,
    lockSeconds: 15 * 60,
    freeFailures: 3,
    baseDelayMs: 1000,
    maxDelayMs: 8000,
  }),
  ip: Object.freeze({ lockAfter: 100, windowSeconds: 24 * 60 * 60, lockSeconds: 24 * 60 * 60 }),
  account: Object.freeze({ lockAfter: 50, windowSeconds: 60 * 60, lockSeconds: 15 * 60 }),
});

export interface BruteForceGuardOptions {
  /**
   * Share counters between replicas through Redis; without it they live in this process. While
   * the client is not `ready` (still connecting, or reconnecting), `check` rejects at once rather
   * than queueing: fail closed, and wait for `ready` before taking logins.
   */
  readonly redis?: Redis;
  /** Prefix of every Redis key; default `rampart:identity:login`. */
  readonly keyPrefix?: string;
  /** Overrides of {@link BRUTE_FORCE_POLICY}, e.g. for tests. */
  readonly policy?: {
    readonly pair?: Partial<PairLimit>;
    readonly ip?: Partial<FailureLimit>;
    readonly account?: Partial<FailureLimit>;
  };
}

export interface LoginAttempt {
  readonly username: string;
  /** The client address as the gateway established it (never a raw header). */
  readonly ip: string;
}

export type LockReason = 'pair_locked' | 'ip_blocked' | 'account_locked';

export type BruteForceDecision =
  | {
      readonly allowed: true;
      /** Sleep this long before verifying the password (0 for the first few failures). */
      readonly delayMs: number;
    }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly reason: LockReason };

type Counter = 'ip' | 'pair' | 'account';

/** Checked in this order: a blocked IP touches nothing else, a locked pair never reaches the account counter. */
const ORDER: readonly { readonly counter: Counter; readonly reason: LockReason }[] = [
  { counter: 'ip', reason: 'ip_blocked' },
  { counter: 'pair', reason: 'pair_locked' },
  { counter: 'account', reason: 'account_locked' },
];

/**
 * Brute-force protection for logins (and second factors), on rate-limiter-flexible: in memory by
 * default, in Redis when given a client (replicas then share counters exactly). Policy:
 * {@link BRUTE_FORCE_POLICY}.
 *
 * Reserve, then verify: `check` counts the attempt as a failure on all three counters *before*
 * the password is verified — atomically in the backend — so N parallel attempts cannot all slip
 * through a check that only reads. Then exactly one of `succeeded` (clears the pair's consecutive
 * failures and gives the reserved IP and account slots back) or `failed` (starts a lock the moment
 * a counter reaches its limit) follows. If neither is called, the attempt stays counted as a
 * failure: a crash fails closed. A backend error rejects the promise; treat it as a refusal.
 *
 * @example
 * const guard = new BruteForceGuard({ redis, keyPrefix: 'rampart:identity:login' });
 * const decision = await guard.check({ username, ip });
 * if (!decision.allowed) return reply(429, { retryAfter: decision.retryAfterSeconds });
 * await sleep(decision.delayMs);
 * const result = await accounts.verifyCredentials(username, password);
 * await (result.ok ? guard.succeeded({ username, ip }) : guard.failed({ username, ip }));
 */
export class BruteForceGuard {
  readonly #policy: BruteForcePolicy;
  readonly #limiters: Readonly<Record<Counter, RateLimiterAbstract>>;

  constructor(options: BruteForceGuardOptions = {}) {
    this.#policy = mergePolicy(options.policy);
    const prefix = options.keyPrefix ?? 'rampart:identity:login';
    if (prefix.length === 0)
      throw new TypeError('keyPrefix must not be empty, e.g. "rampart:identity:login"');
    const create = (counter: Counter): RateLimiterAbstract => {
      const limit = this.#policy[counter];
      const settings = {
        keyPrefix: `${prefix}:${counter}`,
        points: limit.lockAfter,
        duration: limit.windowSeconds,
        blockDuration: limit.lockSeconds,
      };
      return options.redis === undefined
        ? new RateLimiterMemory(settings)
        : new RateLimiterRedis({ ...settings, storeClient: options.redis, rejectIfRedisNotReady: true });
    };
    this.#limiters = { ip: create('ip'), pair: create('pair'), account: create('account') };
  }

  /** The policy in force (defaults merged with overrides). */
  get policy(): BruteForcePolicy {
    return this.#policy;
  }

  /**
   * Reserves one failure slot on the IP, pair and account counters, in that order. Refused if any
   * is locked; slots already taken for a refused attempt are given back, so refusals never count.
   */
  async check(attempt: LoginAttempt): Promise<BruteForceDecision> {
    const keys = attemptKeys(attempt.username, attempt.ip);
    const taken: Counter[] = [];
    let pairFailures = 0;
    for (const { counter, reason } of ORDER) {
      let outcome: Reservation;
      try {
        outcome = await reserve(this.#limiters[counter], keys[counter]);
      } catch (error) {
        await this.#release(taken, keys).catch(() => undefined);
        throw error;
      }
      if (!outcome.ok) {
        await this.#release(taken, keys);
        return {
          allowed: false,
          reason,
          retryAfterSeconds: Math.max(1, Math.ceil(outcome.retryMs / 1000)),
        };
      }
      taken.push(counter);
      if (counter === 'pair') pairFailures = outcome.consumed - 1;
    }
    return { allowed: true, delayMs: this.#delay(pairFailures) };
  }

  /**
   * The attempt succeeded: the pair's failures are forgotten and the IP and account slots returned.
   * (Should a counter's window expire between `check` and here, the returned slot lands in the next
   * window: one extra attempt there, at most, per success.)
   */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    const keys = attemptKeys(attempt.username, attempt.ip);
    await Promise.all([
      this.#limiters.pair.delete(keys.pair),
      this.#limiters.ip.reward(keys.ip),
      this.#limiters.account.reward(keys.account),
    ]);
  }

  /**
   * The attempt failed. It was already counted by `check`; this starts each lock as soon as its
   * counter has reached the limit (rather than at the next attempt), for the policy's full duration.
   */
  async failed(attempt: LoginAttempt): Promise<void> {
    const keys = attemptKeys(attempt.username, attempt.ip);
    await Promise.all(
      ORDER.map(async ({ counter }) => {
        const limiter = this.#limiters[counter];
        const limit = this.#policy[counter];
        const state = await limiter.get(keys[counter]);
        if (state !== null && state.consumedPoints === limit.lockAfter)
          await limiter.block(keys[counter], limit.lockSeconds);
      }),
    );
  }

  #delay(failures: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.#policy.pair;
    if (failures < freeFailures) return 0;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - freeFailures, 30));
  }

  async #release(taken: readonly Counter[], keys: Readonly<Record<Counter, string>>): Promise<void> {
    await Promise.all(taken.map((counter) => this.#limiters[counter].reward(keys[counter])));
  }
}

type Reservation =
  { readonly ok: true; readonly consumed: number } | { readonly ok: false; readonly retryMs: number };

async function reserve(limiter: RateLimiterAbstract, key: string): Promise<Reservation> {
  try {
    return { ok: true, consumed: (await limiter.consume(key)).consumedPoints };
  } catch (thrown) {
    if (thrown instanceof RateLimiterRes) return { ok: false, retryMs: thrown.msBeforeNext };
    throw thrown;
  }
}

function mergePolicy(overrides: BruteForceGuardOptions['policy']): BruteForcePolicy {
  const policy: BruteForcePolicy = {
    pair: Object.freeze({ ...BRUTE_FORCE_POLICY.pair, ...overrides?.pair }),
    ip: Object.freeze({ ...BRUTE_FORCE_POLICY.ip, ...overrides?.ip }),
    account: Object.freeze({ ...BRUTE_FORCE_POLICY.account, ...overrides?.account }),
  };
  for (const { counter } of ORDER) {
    const fields: Readonly<Record<string, number>> = { ...policy[counter] };
    for (const [field, value] of Object.entries(fields)) {
      const min = field === 'freeFailures' || field.endsWith('DelayMs') ? 0 : 1;
      if (!Number.isSafeInteger(value) || value < min)
        throw new TypeError(`brute-force policy ${counter}.${field} must be a whole number ≥ ${min}`);
    }
  }
  // The most failures one pair can put into one account window (see BRUTE_FORCE_POLICY): the pair
  // window open when the account window starts, plus one full pair window per pair window length.
  const { pair, account } = policy;
  const onePair = pair.lockAfter * (Math.ceil(account.windowSeconds / pair.windowSeconds) + 1) - 1;
  if (onePair >= account.lockAfter)
    throw new TypeError(
      `this brute-force policy lets one IP lock an account (one pair can fail ${onePair} times per ` +
        `account window): raise account.lockAfter above ${onePair} or lower pair.lockAfter`,
    );
  return Object.freeze(policy);
}
