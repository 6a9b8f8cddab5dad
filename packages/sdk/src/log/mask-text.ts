import {
  DETECTOR,
  KINDS,
  MASK_SHAPE,
  isPhoneNumber,
  maskCard,
  maskEmail,
  maskPhone,
  localPartStart,
  type SecretKind,
} from './patterns.ts';
import { mightContainSecret } from './prefilter.ts';

/** Strings longer than this are cut before scanning, so the work per string is bounded. */
export const DEFAULT_MAX_STRING_LENGTH = 16_384;

/** Nothing shorter can hold a detectable secret (`pwd=x`, `a@b.co`). */
const SHORTEST_SECRET = 5;

const PHONE_LOOKBEHIND = /[\w.+\-/]/;

function kindOf(groups: Record<string, string | undefined>): SecretKind {
  for (const kind of KINDS) if (groups[kind] !== undefined) return kind;
  throw new Error('unreachable: the detector matched no named kind');
}

interface Replacement {
  /** Where the masked text starts: the match's index, or earlier for an e-mail's local part. */
  readonly start: number;
  readonly text: string;
}

/**
 * The mask for one match, or `null` when a check (Luhn, phone shape) says it is no secret.
 * `floor` is where unmasked text starts (the end of the previous replacement).
 */
function replacement(match: RegExpExecArray, text: string, floor: number): Replacement | null {
  const masked = maskMatch(match, text, floor);
  if (masked === null) return null;
  return typeof masked === 'string' ? { start: match.index, text: masked } : masked;
}

function maskMatch(match: RegExpExecArray, text: string, floor: number): string | Replacement | null {
  const groups = match.groups ?? {};
  const found = match[0];
  const kind = kindOf(groups);
  switch (kind) {
    case 'pem':
    case 'apiKey':
      return '[secret]';
    case 'url':
      return `${groups['urlHead'] ?? ''}***@`;
    case 'auth': {
      const scheme = groups['authScheme'] ?? 'Bearer';
      const value = groups['authValue'] ?? '';
      // `Basic` is also an English word: a credential has digits, `+/=`, or capitals inside.
      if (scheme.toLowerCase() === 'basic' && !/[0-9+/=]|.[A-Z]/.test(value)) return null;
      return `${scheme} [redacted]`;
    }
    case 'kv': {
      const head = groups['kvHead'] ?? '';
      const value = found.slice(head.length);
      // Already masked (`Authorization: Bearer [redacted]`): leave it.
      if (/^(?:bearer|basic)$/i.test(value) && text.startsWith(' [redacted]', match.index + found.length))
        return null;
      const scheme = /^(?:bearer|basic)(?=[ \t])/i.exec(value);
      if (scheme !== null) return `${head}${scheme[0]} [redacted]`;
      const quote = value.startsWith('"') || value.startsWith("'") ? value.charAt(0) : '';
      return `${head}${quote}***${quote}`;
    }
    case 'jwt':
      return '[jwt]';
    case 'paseto':
      return '[paseto]';
    case 'email': {
      const start = localPartStart(text, match.index, floor);
      if (start === match.index) return null;
      return { start, text: maskEmail(text.slice(start, match.index) + found) };
    }
    case 'card': {
      const card = maskCard(found);
      if (card !== null) return card;
      const end = match.index + found.length;
      const before = text.charAt(match.index - 1);
      if (before !== '' && PHONE_LOOKBEHIND.test(before)) return null;
      return isPhoneNumber(found, text.charAt(end), text.charAt(end + 1)) ? maskPhone(found) : null;
    }
    case 'phone': {
      const end = match.index + found.length;
      if (isPhoneNumber(found, text.charAt(end), text.charAt(end + 1))) return maskPhone(found);
      // A card number after another number (`order 12 4242 4242 4242 4242`) starts a phone-shaped run.
      return /^[0-9 -]+$/.test(found) ? maskCard(found) : null;
    }
  }
}

/** Cuts `text` to `max` characters at the last delimiter, so no half secret is left behind. */
function truncate(text: string, max: number): string {
  let cut = max;
  for (let i = max; i > max - 512 && i > 0; i -= 1) {
    if (/[\s,;&"'<>()[\]{}]/.test(text.charAt(i))) {
      cut = i;
      break;
    }
  }
  return text.slice(0, cut);
}

/**
 * Replaces every secret or piece of PII found in `text` by its mask, in one pass of one
 * precompiled expression: e-mails (`j***@e***.com`), Luhn-valid card numbers (`**** 4242`),
 * phone numbers (`***-***-**67`), JWTs (`[jwt]`), PASETO tokens (`[paseto]`), `Bearer`/`Basic`
 * credentials, `password=`/`token:`/`api_key=`… values (`***`), the password of a URL
 * (`postgres://app:***@db`), well-known API keys and private-key PEM blocks (`[secret]`).
 * A text with nothing to mask is returned as is — the same string, nothing allocated. Text beyond
 * `maxLength` is dropped (and counted), so the work per string is bounded.
 *
 * @example
 * maskText('paid by jane@example.com with 4242 4242 4242 4242');
 * // 'paid by j***@e***.com with **** 4242'
 */
export function maskText(text: string, maxLength: number = DEFAULT_MAX_STRING_LENGTH): string {
  if (text.length < SHORTEST_SECRET) return text;
  if (text.length > maxLength) {
    const kept = truncate(text, maxLength);
    return `${maskText(kept, maxLength)}…[${text.length - kept.length} more characters]`;
  }
  if (!mightContainSecret(text)) return text;
  DETECTOR.lastIndex = 0;
  let match = DETECTOR.exec(text);
  if (match === null) return text;
  let out = '';
  let last = 0;
  let changed = false;
  while (match !== null) {
    const masked = replacement(match, text, last);
    if (masked !== null) {
      out += text.slice(last, masked.start) + masked.text;
      last = match.index + match[0].length;
      changed = true;
    }
    match = DETECTOR.exec(text);
  }
  return changed ? out + text.slice(last) : text;
}

/**
 * The mask for a value that is, as a whole, one recognised kind (`Bearer x`, an e-mail, a card
 * number…), with that kind; `null` when the value is not exactly one recognised secret.
 */
export function maskWhole(value: string): { readonly kind: SecretKind; readonly mask: string } | null {
  const text = value.trim();
  if (text.length > DEFAULT_MAX_STRING_LENGTH) return null;
  DETECTOR.lastIndex = 0;
  const match = DETECTOR.exec(text);
  if (match === null || match.index + match[0].length !== text.length) return null;
  const masked = replacement(match, text, 0);
  if (masked?.start !== 0) return null;
  return { kind: kindOf(match.groups ?? {}), mask: masked.text };
}

/** Whether `value` is already the output of a mask (so masking it again changes nothing). */
export function isMask(value: string): boolean {
  return MASK_SHAPE.test(value);
}
