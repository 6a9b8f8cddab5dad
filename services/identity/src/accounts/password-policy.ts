import { isCommonPassword } from './common-passwords.ts';
import { codePointLength, MAX_PASSWORD_INPUT_UNITS, preparePassword } from './password-text.ts';
import { normalizeUsername } from './username.ts';

/** Fewest code points a password may have (NIST SP 800-63B asks for at least 8; we ask 12). */
export const MIN_PASSWORD_LENGTH = 12;
/** Most code points a password may have: long enough for any passphrase, short enough to bound work. */
export const MAX_PASSWORD_LENGTH = 128;
/** Usernames and names shorter than this are not searched for inside a password (`ann` would refuse too much). */
const MIN_CONTEXT_WORD = 3;

export type PolicyReason = 'too_short' | 'too_long' | 'common' | 'contains_username';

export interface PolicyFailure {
  readonly ok: false;
  readonly reason: PolicyReason;
  /** A sentence for the person choosing the password; it never repeats the password. */
  readonly message: string;
}

export type PolicyResult = { readonly ok: true } | PolicyFailure;

export interface PolicyContext {
  /** The account's username (normalized here). */
  readonly username: string;
  readonly displayName?: string | undefined;
}

/**
 * Checks a new password against the policy: at least {@link MIN_PASSWORD_LENGTH} and at most
 * {@link MAX_PASSWORD_LENGTH} Unicode code points after NFKC, not one of the 10,000 most common
 * passwords (compared case-insensitively), and not containing the username (or the local part of
 * an e-mail-shaped username, or the display name). No composition rules (NIST SP 800-63B §5.1.1.2:
 * they make passwords harder to remember, not to guess).
 *
 * @example
 * const result = checkPasswordPolicy(password, { username: 'alice' });
 * if (!result.ok) return reply(400, { reason: result.reason, message: result.message });
 */
export function checkPasswordPolicy(password: string, context: PolicyContext): PolicyResult {
  if (password.length > MAX_PASSWORD_INPUT_UNITS)
    return fail('too_long', `Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  const prepared = preparePassword(password);
  const length = codePointLength(prepared);
  if (length < MIN_PASSWORD_LENGTH)
    return fail('too_short', `Use at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (length > MAX_PASSWORD_LENGTH) return fail('too_long', `Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  const lower = prepared.toLowerCase();
  if (contextWords(context).some((word) => lower.includes(word)))
    return fail('contains_username', 'The password must not contain your username or name.');
  if (isCommonPassword(prepared))
    return fail('common', 'This password is too common: it is among the first an attacker tries.');
  return { ok: true };
}

function fail(reason: PolicyReason, message: string): PolicyFailure {
  return { ok: false, reason, message };
}

/** The lower-cased words a password must not contain: username, its e-mail local part, the display name. */
function contextWords(context: PolicyContext): string[] {
  const username = normalizeUsername(context.username);
  const words = [username];
  const at = username.indexOf('@');
  if (at > 0) words.push(username.slice(0, at));
  if (context.displayName !== undefined) {
    words.push(preparePassword(context.displayName).toLowerCase().replace(/\s+/gu, ' ').trim());
  }
  return words.filter((word) => codePointLength(word) >= MIN_CONTEXT_WORD);
}
