import { createHash } from 'node:crypto';
import { isFileLocation, type Location } from './finding.ts';

/**
 * The fingerprint of a finding: SHA-256 of rule, file and the module's logical key — never the
 * line — so a re-run, or an edit above the finding, gives the same value. A URL is not hashed: it
 * carries the target's origin (another in each environment) and ids the run created, so for a
 * `UrlLocation` the key alone names the place (the probe's: method, route template, variant).
 *
 * @example
 * findingFingerprint('dockerfile/sudo', { file: 'Dockerfile', line: 9, column: 1 }, 'RUN sudo make install');
 */
export function findingFingerprint(ruleId: string, location: Location, key: string): string {
  const where = isFileLocation(location) ? location.file : '';
  return createHash('sha256').update(`${ruleId}\u0000${where}\u0000${key}`).digest('hex').slice(0, 32);
}

/** White space collapsed: the normalized snippet a key is made of. */
export function normalizeSnippet(text: string): string {
  return text
    .replace(/\\\r?\n/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}
