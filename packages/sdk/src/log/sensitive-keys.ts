/**
 * Which object keys name a secret or PII. Keys are compared normalised: lower-cased, with `_`,
 * `-`, `.` and spaces removed, so `apiKey`, `api_key`, `API-KEY` and `x-api-key` are alike.
 */

/** Credentials: their value is `[redacted]` unless its kind reveals nothing (`[jwt]`, `Bearer [redacted]`). */
const CREDENTIAL_NAMES = new Set([
  'pass',
  'pwd',
  'pin',
  'otp',
  'totp',
  'mfacode',
  'cvv',
  'cvc',
  'cvv2',
  'cvc2',
  'securitycode',
  'jwt',
  'bearer',
  'session',
  'sessionid',
  'sid',
  'dsn',
  'connectionstring',
  'signature',
  'passphrase',
  'credential',
  'credentials',
]);

/** Suffixes that make a credential: `dbPassword`, `githubToken`, `stripeSecret`, `x-api-key`. */
const CREDENTIAL_SUFFIXES = [
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'authorization',
  'cookie',
];

/** Personal or payment data: its value is masked by kind (`**** 4242`), else `[redacted]`. */
const PII_NAMES = new Set([
  'cardnumber',
  'cardno',
  'ccnumber',
  'creditcard',
  'creditcardnumber',
  'pan',
  'expiry',
  'ssn',
  'iban',
]);

export const KEY_NORMAL = 0;
export const KEY_CREDENTIAL = 1;
export const KEY_PII = 2;
export type KeySensitivity = typeof KEY_NORMAL | typeof KEY_CREDENTIAL | typeof KEY_PII;

export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[\s_.-]/g, '');
}

/**
 * How sensitive the value under `key` is. `extra` holds a service's own normalised sensitive
 * keys (rampart.yaml's `sensitive`), matched exactly: `name` covers `name` and `Name`, not
 * `hostname`.
 *
 * @example
 * keySensitivity('X-Api-Key', new Set()); // KEY_CREDENTIAL
 * keySensitivity('email', new Set(['email'])); // KEY_PII
 */
export function keySensitivity(key: string, extra: ReadonlySet<string>): KeySensitivity {
  const normal = normalizeKey(key);
  if (CREDENTIAL_NAMES.has(normal) || CREDENTIAL_SUFFIXES.some((suffix) => normal.endsWith(suffix))) {
    return KEY_CREDENTIAL;
  }
  return PII_NAMES.has(normal) || extra.has(normal) ? KEY_PII : KEY_NORMAL;
}
