/** How a failed delivery waits before its next attempt. */
export interface Backoff {
  /** The first retry's delay ceiling, doubled at each attempt (default 1 s). */
  readonly baseMs: number;
  /** The largest delay, whatever the attempt or a Retry-After asks (default 5 min). */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, maxMs: 5 * 60 * 1000 };

/**
 * The delay before attempt `attempt + 1`: exponential (`baseMs × 2^(attempt-1)`, capped at
 * `maxMs`) with "equal jitter" — half fixed, half random — so receivers recovering from an outage
 * are not hit by every sender at once, and a retry never comes immediately.
 *
 * @example
 * await sleep(backoffDelay(attempt, DEFAULT_BACKOFF));
 */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * A `Retry-After` value (RFC 9110 §10.2.3: seconds, or an HTTP date) as milliseconds from `now`,
 * or undefined when absent or not understood. Never negative.
 *
 * @example
 * retryAfterMs('120', Date.now()); // 120000
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  // The IMF-fixdate form RFC 9110 requires senders to use: `Tue, 10 Mar 2026 12:00:30 GMT`.
  if (!/^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/.test(text))
    return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** What one attempt's answer means for the delivery. */
export type AttemptOutcome = 'delivered' | 'retry' | 'rejected';

/**
 * 2xx delivered; 408, 425, 429 and 5xx retried (the receiver is busy or broken, the alert is not);
 * any other status (a 3xx too: redirects are not followed) is a refusal no retry will change.
 */
export function outcomeOfStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'rejected';
}
