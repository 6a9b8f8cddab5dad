import { createHash, timingSafeEqual } from 'node:crypto';

// Generated and hashed as the supervisor does it, by the same definitions (@rampart/config).
export { generateClientSecret, hashClientSecret } from '@rampart/config';

/** Compares a presented secret with a stored hash in constant time; false for anything malformed. */
export function clientSecretMatches(storedHash: string, presented: string): boolean {
  if (!storedHash.startsWith('sha256:') || presented.length === 0 || presented.length > 512) return false;
  const expected = Buffer.from(storedHash.slice('sha256:'.length), 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
