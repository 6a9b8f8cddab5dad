/**
 * The detectors behind `maskText`: one combined, precompiled regular expression with a named
 * group per kind, and the checks a regular expression cannot express (Luhn, phone shape). Each
 * alternative starts at a literal or behind a lookbehind, so a scan is linear in the input.
 */

/** Whether a UTF-16 code unit is RFC 5322 `atext` or `.`: a character of an unquoted e-mail local part. */
function isLocalPartChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    "!#$%&'*+/=?^_`{|}~.-".includes(String.fromCharCode(code))
  );
}

/** Where the local part ending at `at` (the `@`) starts, not before `floor`; `at` when there is none. */
export function localPartStart(text: string, at: number, floor: number): number {
  let start = at;
  while (start > floor && isLocalPartChar(text.charCodeAt(start - 1))) start -= 1;
  return start;
}

const PARTS = {
  pem: String.raw`-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----|[A-Za-z0-9+/=\s]*)`,
  // scheme://user:password@  — the password alone is masked (the scheme is left out of the match).
  url: String.raw`(?<urlHead>://[^\s:/@?#]*:)[^\s/@?#]+@`,
  auth: String.raw`\b(?<authScheme>(?i:bearer|basic))[ \t]+(?<authValue>[A-Za-z0-9\-._~+/]+=*)`,
  // password=…, "token": "…", api-key: …  (value until a delimiter, or the quoted value)
  kv:
    String.raw`(?<kvHead>(?:(?<![A-Za-z])(?i:pass|pwd)|(?i:password|passwd|passphrase|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|auth[_\-]?key|signature|session[_\-]?id|credentials?|authorization|cookie))["']?[ \t]*[=:][ \t]*)` +
    String.raw`(?:"[^"\r\n]*"|'[^'\r\n]*'|(?:(?i:bearer|basic)[ \t]+)?[^\s&,;"'<>{}\[\]]+)`,
  jwt: String.raw`eyJ[\w\-]{4,}\.[\w\-]*\.[\w\-]*(?:\.[\w\-]*\.[\w\-]*)?`,
  paseto: String.raw`v[1-4]\.(?:local|public)\.[\w\-]+(?:\.[\w\-]+)?`,
  apiKey:
    String.raw`(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])` +
    String.raw`|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|xox[baprs]-[A-Za-z0-9\-]{8,}` +
    String.raw`|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{16,}|AIza[\w\-]{35}|npm_[A-Za-z0-9]{36}`,
  // From the `@` on: the local part is found by scanning back (`localPartStart`), which is far
  // cheaper than a lookbehind tried at every position.
  email: String.raw`@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}`,
  // 13–19 digits, single spaces or dashes between, first digit 2–6 (the card-issuing
  // industries of ISO/IEC 7812: this keeps epoch-millisecond timestamps, which start with 1, out).
  card: String.raw`(?<!\d)[2-6]\d(?:[ \-]?\d){11,17}(?!\d)`,
  // +CC …, (area) …, or at least two separated groups; dates and IPv4 addresses are skipped here,
  // the rest of the shape (digit count, grouping) is checked by `isPhoneNumber`.
  phone:
    String.raw`(?<![\w.+\-/])(?!\d{4}-\d\d-\d\d|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d))` +
    String.raw`(?:\+\d{1,3}[ .\-]?\(?\d{1,5}\)?|\(\d{1,5}\)|\d{1,5}[ .\-]\(?\d{1,5}\)?)(?:[ .\-]?\d{1,5}){1,5}`,
} as const;

export type SecretKind = keyof typeof PARTS;

/** One pass over a string finds every kind; the named group says which matched. */
export const DETECTOR = new RegExp(
  Object.entries(PARTS)
    .map(([kind, source]) => `(?<${kind}>${source})`)
    .join('|'),
  'g',
);

export const KINDS = Object.keys(PARTS) as SecretKind[];

/** Kinds whose mask keeps part of the value (last digits, first letters, user and host). */
export const REVEALING_KINDS: ReadonlySet<SecretKind> = new Set(['email', 'card', 'phone', 'url', 'kv']);

/** Luhn (mod 10) check over the ASCII digits of `text`, ignoring any other character. */
export function luhnDigits(digits: string): boolean {
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

/** 13–19 digits, the first 2–6, passing Luhn. */
export function isCardNumber(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19 || !/^[2-6][0-9]+$/.test(digits)) return false;
  return luhnDigits(digits);
}

const DATE_SHAPE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?!\d)/;
const THOUSANDS = /^\d{1,3}([ .,])\d{3}(?:\1\d{3})*(?:[.,]\d{1,2})?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * Whether a candidate found by the `phone` alternative is a phone number: 8–15 digits after a
 * `+` (E.164), otherwise 10–13 digits in at least three groups with one kind of separator, or
 * with an area code in parentheses; never a date, an IPv4 address, a thousands-grouped amount, or a number glued to
 * letters, a time (`:`) or a decimal part.
 */
export function isPhoneNumber(candidate: string, next: string, afterNext: string): boolean {
  if (/[\w@]/.test(next) || (/[.,:]/.test(next) && /\d/.test(afterNext))) return false;
  let digits = 0;
  let groups = 1;
  let previousDigit = false;
  for (let i = 0; i < candidate.length; i += 1) {
    const code = candidate.charCodeAt(i);
    const isDigit = code >= 48 && code <= 57;
    if (isDigit) digits += 1;
    else if (previousDigit) groups += 1;
    previousDigit = isDigit;
  }
  if (!previousDigit) groups -= 1;
  if (candidate.startsWith('+')) return digits >= 8 && digits <= 15;
  if (digits < 10 || digits > 13) return false;
  if (groups < 3 && !candidate.includes('(')) return false;
  // National numbers use one separator throughout (after an optional `(area) `).
  const separators = candidate.replace(/^\(\d+\) ?/, '').replace(/[0-9]/g, '');
  if (/[()]/.test(separators) || new Set(separators).size > 1) return false;
  return !DATE_SHAPE.test(candidate) && !THOUSANDS.test(candidate) && !IPV4.test(candidate);
}

/** `+44 20 7946 0958` → `+** ** **** **58`: every digit but the last two becomes `*`. */
export function maskPhone(phone: string): string {
  let keep = 2;
  let out = '';
  for (let i = phone.length - 1; i >= 0; i -= 1) {
    const ch = phone.charAt(i);
    if (ch >= '0' && ch <= '9') {
      out = (keep > 0 ? ch : '*') + out;
      keep -= 1;
    } else out = ch + out;
  }
  return out;
}

/**
 * Whether digit groups are written as card numbers are: all together, in fours (the last group
 * one to four digits), or 4-6-5 / 4-6-4 (American Express, Diners). Dates, times and lists of
 * numbers are grouped otherwise.
 */
function isCardGrouping(groups: readonly string[]): boolean {
  if (groups.length === 1) return true;
  const lengths = groups.map((group) => group.length);
  if (lengths.join() === '4,6,5' || lengths.join() === '4,6,4') return true;
  return lengths.every((length, i) => (i === lengths.length - 1 ? length >= 1 && length <= 4 : length === 4));
}

/**
 * A card-shaped run (digits with single spaces or dashes): `**** 4242` when it is a card number
 * written as one (one kind of separator inside it); otherwise the longest run of whole groups inside
 * it that is — a card number after another number (`0 4242-4242-4242-4242`), whatever separates
 * the two — with the rest kept as written; or `null`.
 */
export function maskCard(run: string): string | null {
  const groups: { readonly digits: string; readonly start: number; readonly end: number }[] = [];
  for (const match of run.matchAll(/[0-9]+/g)) {
    groups.push({ digits: match[0], start: match.index, end: match.index + match[0].length });
  }
  for (let start = 0; start < groups.length; start += 1) {
    for (let end = groups.length; end > start; end -= 1) {
      const inner = groups.slice(start, end);
      const first = inner[0];
      const last = inner.at(-1);
      if (first === undefined || last === undefined) continue;
      if (new Set(run.slice(first.start, last.end).replace(/[0-9]/g, '')).size > 1) continue;
      const digits = inner.map((group) => group.digits);
      if (!isCardGrouping(digits) || !isCardNumber(digits.join(''))) continue;
      return `${run.slice(0, first.start)}**** ${digits.join('').slice(-4)}${run.slice(last.end)}`;
    }
  }
  return null;
}

/** `john.doe@mail.example.com` → `j***@m***.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  let local = email.slice(0, at);
  // `?email=john@…`: query or assignment syntax before the address is kept as it was.
  const cut = Math.max(...['=', '?', '&', '/', "'", '|', '{', '}'].map((ch) => local.lastIndexOf(ch)));
  const prefix = cut >= 0 && cut < local.length - 1 ? local.slice(0, cut + 1) : '';
  local = local.slice(prefix.length);
  const domain = email.slice(at + 1);
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  return `${prefix}${local.charAt(0)}***@${domain.charAt(0)}***.${tld}`;
}

/** What a mask looks like, so that masking a masked value leaves it alone. */
export const MASK_SHAPE =
  /^(?:\[(?:redacted|jwt|paseto|secret)\]|\*{4} \d{4}|[^@\s]\*{3}@[^@\s]\*{3}\.[A-Za-z]{2,}|(?:Bearer|Basic|bearer|basic) \[redacted\]|(?=[^\d]*\*{2})[+*() .-]+\d{2})$/;
