import { createHash } from 'node:crypto';

/**
 * What a report shows of a secret: its first characters and its length, never the rest
 * (`ghp_… (40 chars)`). A short secret shows fewer characters (a quarter of it, at most 4), so
 * the shown part never gives most of a password away.
 *
 * @example
 * redactSecret(token); // `ghp_… (40 chars)` for a GitHub token
 * redactSecret('hunter22'); // 'hu… (8 chars)'
 */
export function redactSecret(secret: string): string {
  const shown = Math.min(4, Math.floor(secret.length / 4));
  return `${secret.slice(0, shown)}… (${secret.length} chars)`;
}

/**
 * The logical key of a secret's finding: a hash of the value, so the finding keeps its fingerprint
 * when the secret moves within the file, and the raw value is never part of a report.
 */
export function secretKey(secret: string): string {
  return `secret:${createHash('sha256').update(secret).digest('hex').slice(0, 32)}`;
}
