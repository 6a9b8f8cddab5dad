import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as authenticator apps use it (and identity checks it): SHA-1, 6 digits, 30 s steps. */
const PERIOD_SECONDS = 30;

/**
 * The TOTP code of a base32 secret at `timestamp` (milliseconds since the epoch).
 *
 * @example
 * totpCodeAt(secret, Date.UTC(2024, 4, 1)); // the code of the step starting then
 */
export function totpCodeAt(secret: string, timestamp: number): string {
  return TOTP.generate({
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SECONDS,
    timestamp,
  });
}

/**
 * The current TOTP code for a base32 secret (the code of `offsetSteps` steps from now).
 *
 * @example
 * await page.getByLabel('Code from your authenticator app').fill(totpCode(secret));
 */
export function totpCode(secret: string, offsetSteps = 0): string {
  return totpCodeAt(secret, Date.now() + offsetSteps * PERIOD_SECONDS * 1000);
}
