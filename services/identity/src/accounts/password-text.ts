/**
 * Longest input, in UTF-16 units, that is normalized at all: NFKC can shrink text (composing
 * `e` + accent, or Hangul jamo) but never eightfold, so anything longer is over the policy's
 * 128 code points whatever it normalizes to, and is refused without the work.
 */
export const MAX_PASSWORD_INPUT_UNITS = 1024;

/**
 * The form of a password that is hashed, verified and measured: lone surrogates replaced (as a
 * UTF-8 encoder would do anyway, so hashing and verifying always agree) and Unicode NFKC, so the
 * same password typed on two keyboards (a composed `é` or `e` + accent, a full-width digit)
 * matches itself.
 */
export function preparePassword(password: string): string {
  return password.toWellFormed().normalize('NFKC');
}

/**
 * The number of Unicode code points in `text`: what NIST SP 800-63B counts as characters (an emoji
 * made of several code points counts as several, which only errs towards longer).
 */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1) count += 1;
  return count;
}
