/**
 * A cheap, allocation-free scan that says whether `DETECTOR` could match anywhere in a string.
 * It looks for what every detector needs — `@`, eight digits in a run of digits and phone
 * separators, `eyJ`, `v4.`, `bearer`/`basic`, a secret-like word before `=` or `:`, an API-key
 * prefix, `-----BEGIN` — so it accepts a superset of what the detector finds, and most log
 * strings (words, ids, paths, small numbers) skip the regular expression altogether.
 */

/** Words whose value follows `=` or `:`; a superset of the `kv` detector's keywords. */
const KEY_WORDS = [
  'pass',
  'pwd',
  'passwd',
  'password',
  'passphrase',
  'secret',
  'token',
  'key',
  'signature',
  'sessionid',
  'session_id',
  'session-id',
  'credential',
  'credentials',
  'authorization',
  'cookie',
];

const MIN_PHONE_DIGITS = 8;

function lower(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** Whether `text[start, start + word.length)` equals the lower-case `word`, ignoring case. */
function matchesAt(text: string, start: number, word: string): boolean {
  if (start < 0 || start + word.length > text.length) return false;
  for (let i = 0; i < word.length; i += 1) {
    if (lower(text.charCodeAt(start + i)) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether a secret-like word ends just before the `=` or `:` at `at` (quotes and blanks aside). */
function keyWordBefore(text: string, at: number): boolean {
  let end = at;
  while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end -= 1;
  if (end > 0 && (text.charCodeAt(end - 1) === 34 || text.charCodeAt(end - 1) === 39)) end -= 1;
  for (const word of KEY_WORDS) if (matchesAt(text, end - word.length, word)) return true;
  return false;
}

function isPhoneChar(code: number): boolean {
  // space ( ) + - .
  return code === 32 || code === 40 || code === 41 || code === 43 || code === 45 || code === 46;
}

export function mightContainSecret(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      digits += 1;
      if (digits >= MIN_PHONE_DIGITS) return true;
      continue;
    }
    if (!isPhoneChar(code)) digits = 0;
    switch (code) {
      case 64: // @
        return true;
      case 58: // :
      case 61: // =
        if (keyWordBefore(text, i)) return true;
        break;
      case 45: // -----BEGIN
        if (text.startsWith('----BEGIN', i + 1)) return true;
        break;
      case 65: // AKIA ASIA ABIA ACCA AIza
        if (
          text.startsWith('KIA', i + 1) ||
          text.startsWith('SIA', i + 1) ||
          text.startsWith('BIA', i + 1) ||
          text.startsWith('CCA', i + 1) ||
          text.startsWith('Iza', i + 1)
        ) {
          return true;
        }
        break;
      case 66: // Bearer Basic (any case)
      case 98:
        if (matchesAt(text, i + 1, 'earer') || matchesAt(text, i + 1, 'asic')) return true;
        break;
      case 101: // eyJ
        if (text.startsWith('yJ', i + 1)) return true;
        break;
      case 118: // v1. … v4.
        if (text.charCodeAt(i + 2) === 46 && text.charCodeAt(i + 1) >= 49 && text.charCodeAt(i + 1) <= 52) {
          return true;
        }
        break;
      case 95: // gh?_ github_pat_ sk_ rk_ whsec_ npm_ xox?-
        if (
          (text.charCodeAt(i - 3) === 103 && text.charCodeAt(i - 2) === 104) ||
          text.startsWith('github', i - 6) ||
          text.startsWith('k', i - 1) ||
          text.startsWith('whsec', i - 5) ||
          text.startsWith('npm', i - 3)
        ) {
          return true;
        }
        break;
      case 120: // xox
        if (text.startsWith('ox', i + 1)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}
