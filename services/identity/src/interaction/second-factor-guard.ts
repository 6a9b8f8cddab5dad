import { setTimeout as sleep } from 'node:timers/promises';
import type { IdentityContext } from '../app.ts';

export type GuardedCheck =
  | { readonly outcome: 'passed' }
  | { readonly outcome: 'failed' }
  | { readonly outcome: 'locked'; readonly retryAfterSeconds: number };

/**
 * Runs a second-factor check under the brute-force guard, counted as the pseudo-username
 * `mfa:<user id>` (no username can contain `:`) from the client's address: wrong TOTP or recovery
 * codes are slowed, then locked out, exactly like wrong passwords. Emits `mfa.locked_out` or
 * `mfa.failed`; the caller emits `mfa.succeeded` with the method it used.
 */
export async function guardedSecondFactor(
  identity: IdentityContext,
  attempt: { readonly userId: string; readonly ip: string; readonly failure: string },
  check: () => Promise<boolean>,
): Promise<GuardedCheck> {
  const key = { username: `mfa:${attempt.userId}`, ip: attempt.ip };
  const decision = await identity.bruteForce.check(key);
  if (!decision.allowed) {
    identity.events.emit({
      event: 'mfa.locked_out',
      outcome: 'failure',
      reason: decision.reason,
      subject: attempt.userId,
    });
    return { outcome: 'locked', retryAfterSeconds: decision.retryAfterSeconds };
  }
  if (decision.delayMs > 0) await sleep(decision.delayMs);
  if (await check()) {
    await identity.bruteForce.succeeded(key);
    return { outcome: 'passed' };
  }
  await identity.bruteForce.failed(key);
  identity.events.emit({
    event: 'mfa.failed',
    outcome: 'failure',
    reason: attempt.failure,
    subject: attempt.userId,
  });
  return { outcome: 'failed' };
}

/** The message for a refused second-factor attempt (locked out). */
export const TOO_MANY_CODES = 'Too many wrong codes: try again later.';
