import { AccountError, type AccountErrorCode } from './account-error.ts';
import { codePointLength } from './password-text.ts';

/** A group name: lower-case ASCII, 1–64 characters. */
export const GROUP_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** A role name (`admin`, `billing:read`): lower-case ASCII, 1–64 characters, starting with a letter. */
export const ROLE_PATTERN = /^[a-z][a-z0-9._:-]{0,63}$/;

const MAX_DISPLAY_NAME = 200;
const MAX_EMAIL = 254;
const MAX_DESCRIPTION = 500;
const CONTROL = /\p{Cc}/u;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;

/** A display name to store (1–200 code points, no control characters), or null when absent. */
export function checkDisplayName(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!isPlainText(value, MAX_DISPLAY_NAME))
    throw new AccountError(
      'invalid_display_name',
      'A display name has 1 to 200 characters and no control characters.',
    );
  return value;
}

/**
 * An e-mail address to store, or null when absent. Only its shape is checked (one `@`, a dot in
 * the domain, no spaces, at most 254 characters); whether it is reachable is the mailer's concern.
 */
export function checkEmail(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!isPlainText(value, MAX_EMAIL) || !EMAIL_SHAPE.test(value))
    throw new AccountError('invalid_email', 'That is not an e-mail address.');
  return value;
}

/** A group description to store (at most 500 code points, no control characters), or null. */
export function checkDescription(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!isPlainText(value, MAX_DESCRIPTION))
    throw new AccountError(
      'invalid_group',
      'A group description has 1 to 500 characters and no control characters.',
    );
  return value;
}

const NAME_RULES = {
  group: {
    pattern: GROUP_PATTERN,
    code: 'invalid_group',
    message: 'A group name is 1 to 64 lower-case letters, digits, ".", "_" or "-".',
  },
  role: {
    pattern: ROLE_PATTERN,
    code: 'invalid_role',
    message:
      'A role name is 1 to 64 lower-case letters, digits, ".", "_", ":" or "-", starting with a letter.',
  },
} as const satisfies Record<string, { pattern: RegExp; code: AccountErrorCode; message: string }>;

/** `name` if it is a valid group or role name, else an {@link AccountError} (`invalid_group`, `invalid_role`). */
export function checkName(name: string, kind: keyof typeof NAME_RULES): string {
  const rule = NAME_RULES[kind];
  if (!rule.pattern.test(name)) throw new AccountError(rule.code, rule.message);
  return name;
}

/** The distinct names of `names`, each checked with {@link checkName}. */
export function checkNames(names: readonly string[], kind: keyof typeof NAME_RULES): string[] {
  return [...new Set(names.map((name) => checkName(name, kind)))];
}

function isPlainText(value: string, maxCodePoints: number): boolean {
  if (!value.isWellFormed() || CONTROL.test(value)) return false;
  const length = codePointLength(value);
  return length >= 1 && length <= maxCodePoints;
}
