import { readFileSync } from 'node:fs';

/** The shipped list: `services/identity/data/common-passwords.txt` (see its README for the source). */
export const COMMON_PASSWORDS_FILE = new URL('../../data/common-passwords.txt', import.meta.url);

let loaded: ReadonlySet<string> | undefined;

/**
 * The common-password list as a set of lower-cased NFKC entries, read from
 * {@link COMMON_PASSWORDS_FILE} on first use and kept for the life of the process. Lines starting
 * with `#` and blank lines are skipped.
 */
export function commonPasswords(): ReadonlySet<string> {
  loaded ??= parseList(readFileSync(COMMON_PASSWORDS_FILE, 'utf8'));
  return loaded;
}

/** Whether `password` (already NFKC-normalized) is on the list, ignoring case. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

function parseList(text: string): ReadonlySet<string> {
  const entries = new Set<string>();
  for (const line of text.split('\n')) {
    const entry = line.replace(/\r$/, '');
    if (entry === '' || entry.startsWith('#')) continue;
    entries.add(entry.normalize('NFKC').toLowerCase());
  }
  return entries;
}
