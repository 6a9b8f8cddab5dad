import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `sha256:` + hex: how a client secret is stored. The secret is 256 random bits, so a fast hash is right. */
export function hashClientSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** A new client secret: 256 random bits, base64url. Shown once, stored only as `hashClientSecret`. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares a presented secret with a stored hash in constant time; false for anything malformed. */
export function clientSecretMatches(storedHash: string, presented: string): boolean {
  if (!storedHash.startsWith('sha256:') || presented.length === 0 || presented.length > 512) return false;
  const expected = Buffer.from(storedHash.slice('sha256:'.length), 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
