import { Masker } from './masker.ts';

const defaultMasker = new Masker();

/**
 * Masks secrets and PII in any value with the built-in rules (no service-specific keys):
 * strings as `maskText` does, secret-like keys (`password`, `token`, `cardNumber`…) by kind or as
 * `[redacted]`, errors (message, stack, `cause`), arrays and objects at any depth. Returns
 * `value` itself when nothing needed masking; never mutates it.
 *
 * @example
 * maskValue({ user: 'jane@example.com', password: 'hunter2' });
 * // { user: 'j***@e***.com', password: '[redacted]' }
 */
export function maskValue(value: unknown): unknown {
  return defaultMasker.value(value);
}
