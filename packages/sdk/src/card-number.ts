/**
 * Luhn (mod 10) check of a string of 13 to 19 digits — the shape of a payment card number.
 *
 * @example
 * isLuhnValid('4111111111111111'); // true
 * isLuhnValid('4111111111111112'); // false
 */
export function isLuhnValid(digits: string): boolean {
  if (!/^[0-9]{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** 13–19 digits, optionally grouped by single spaces or dashes. */
const CARD_LIKE = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

export const CARD_NUMBER_MASK = '[redacted card number]';

/**
 * Replaces every Luhn-valid card number in a text (digits alone or grouped by spaces or dashes)
 * with `[redacted card number]`.
 *
 * @example
 * maskCardNumbers('paid with 4111 1111 1111 1111'); // 'paid with [redacted card number]'
 */
export function maskCardNumbers(text: string): string {
  if (!/[0-9]{4}/.test(text) && !/[0-9][ -][0-9]/.test(text)) return text;
  return text.replace(CARD_LIKE, (match) =>
    isLuhnValid(match.replace(/[ -]/g, '')) ? CARD_NUMBER_MASK : match,
  );
}
