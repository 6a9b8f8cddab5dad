import { luhnDigits } from './log/patterns.ts';

/**
 * Luhn (mod 10) check of a string of 13 to 19 digits — the shape of a payment card number.
 *
 * @example
 * isLuhnValid('4111111111111111'); // true
 * isLuhnValid('4111111111111112'); // false
 */
export function isLuhnValid(digits: string): boolean {
  return /^[0-9]{13,19}$/.test(digits) && luhnDigits(digits);
}
