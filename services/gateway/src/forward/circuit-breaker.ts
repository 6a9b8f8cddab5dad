import { RampartError } from '@rampart/errors';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failures: number;
  /** How long an open circuit fails fast before one probe is let through. */
  readonly coolDownMs: number;
}

/**
 * `GW_UPSTREAM_UNAVAILABLE` raised without contacting the service: its circuit is open. The
 * pipeline can send `retryAfterSeconds` as `Retry-After`.
 */
export class CircuitOpenError extends RampartError {
  readonly retryAfterSeconds: number;

  constructor(service: string, retryAfterSeconds: number) {
    super('GW_UPSTREAM_UNAVAILABLE', { detail: `circuit open for ${service}` });
    this.name = 'CircuitOpenError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Throws a `TypeError` naming the fix when `options` cannot work. */
export function checkBreakerOptions(options: BreakerOptions): void {
  if (!Number.isInteger(options.failures) || options.failures < 1) {
    throw new TypeError('breaker.failures must be a positive integer');
  }
  if (!Number.isFinite(options.coolDownMs) || options.coolDownMs < 0) {
    throw new TypeError('breaker.coolDownMs must be a non-negative number of milliseconds');
  }
}

/** What a caller reports after an attempt the breaker let through. */
export type BreakerOutcome = 'success' | 'failure';

/**
 * One upstream's circuit: closed (counting consecutive failures), open (failing fast until the
 * cool-down ends), then half-open (one probe; its outcome closes or reopens the circuit).
 */
export class CircuitBreaker {
  readonly #service: string;
  readonly #options: BreakerOptions;
  readonly #now: () => number;
  #failures = 0;
  #openUntil: number | undefined;
  #probing = false;

  constructor(service: string, options: BreakerOptions, now: () => number) {
    checkBreakerOptions(options);
    this.#service = service;
    this.#options = options;
    this.#now = now;
  }

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openUntil === undefined) return 'closed';
    return this.#now() < this.#openUntil ? 'open' : 'half-open';
  }

  /**
   * Lets a request through or throws `CircuitOpenError`. Returns a function to call exactly once
   * with the outcome.
   */
  admit(): (outcome: BreakerOutcome) => void {
    if (this.#openUntil !== undefined) {
      const waitMs = this.#openUntil - this.#now();
      if (waitMs > 0) throw new CircuitOpenError(this.#service, Math.max(1, Math.ceil(waitMs / 1000)));
      if (this.#probing) throw new CircuitOpenError(this.#service, 1);
      this.#probing = true;
      return (outcome) => {
        this.#probing = false;
        if (outcome === 'success') this.#close();
        else this.#open();
      };
    }
    return (outcome) => {
      if (outcome === 'success') {
        this.#failures = 0;
      } else if (this.#openUntil === undefined && ++this.#failures >= this.#options.failures) {
        this.#open();
      }
    };
  }

  #open(): void {
    this.#openUntil = this.#now() + this.#options.coolDownMs;
    this.#failures = 0;
  }

  #close(): void {
    this.#openUntil = undefined;
    this.#failures = 0;
  }
}
