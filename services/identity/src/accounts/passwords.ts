import { hash, parseOptions, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { codePointLength, MAX_PASSWORD_INPUT_UNITS, preparePassword } from './password-text.ts';

export {
  checkPasswordPolicy,
  MIN_PASSWORD_LENGTH,
  MAX_PASSWORD_LENGTH,
  type PolicyResult,
  type PolicyFailure,
  type PolicyReason,
} from './password-policy.ts';

/** `Algorithm.Argon2id` of `@node-rs/argon2`, whose const enum has no object at run time. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the enum's value, spelled out
const ARGON2ID: Algorithm = 2;
/** `Version.V0x13`, the current (and only recommended) Argon2 version. */
const VERSION_0X13 = 1;

/**
 * The argon2id parameters every new hash uses: OWASP's first recommended set (19 MiB, 2 passes,
 * 1 lane), about 50 ms on one core here. A stored hash with weaker parameters is upgraded at the
 * next successful login ({@link needsRehash}).
 */
export const ARGON2_PARAMS = Object.freeze({
  algorithm: ARGON2ID,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
} satisfies Options);

/**
 * Hashes a password with argon2id and {@link ARGON2_PARAMS} (random 16-byte salt), after NFKC
 * normalization. The result is a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). Check the
 * password policy first: this function hashes whatever it is given.
 *
 * @example
 * const stored = await hashPassword(password);
 * await verifyPassword(stored, password); // true
 */
export function hashPassword(password: string): Promise<string> {
  return hash(preparePassword(password), ARGON2_PARAMS);
}

/**
 * Whether `password` matches the PHC string `stored`. Never throws: a malformed or empty hash, or a
 * password longer than the policy allows, is simply `false`.
 *
 * @example
 * if (!(await verifyPassword(row.password_hash, attempt))) return refuse();
 */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_INPUT_UNITS) return false;
  const prepared = preparePassword(password);
  if (codePointLength(prepared) > MAX_PASSWORD_LENGTH) return false;
  try {
    return await verify(stored, prepared);
  } catch {
    return false;
  }
}

/**
 * Whether `stored` was made with weaker settings than {@link ARGON2_PARAMS} (another algorithm or
 * version, less memory, fewer passes, a shorter output) or cannot be parsed, so it should be
 * replaced by a fresh hash the next time the password is known.
 *
 * @example
 * if (ok && needsRehash(row.password_hash)) await save(await hashPassword(password));
 */
export function needsRehash(stored: string): boolean {
  try {
    const used = parseOptions(stored);
    return (
      (used.algorithm as number) !== (ARGON2_PARAMS.algorithm as number) ||
      (used.version as number) !== VERSION_0X13 ||
      used.memoryCost < ARGON2_PARAMS.memoryCost ||
      used.timeCost < ARGON2_PARAMS.timeCost ||
      used.outputLen < ARGON2_PARAMS.outputLen
    );
  } catch {
    return true;
  }
}

/**
 * The three operations the account store needs from a password hasher. The default is
 * {@link argon2Hasher}; tests inject a counting wrapper to prove how many verifications a login costs.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(stored: string, password: string): Promise<boolean>;
  needsRehash(stored: string): boolean;
}

/** argon2id with {@link ARGON2_PARAMS}: {@link hashPassword}, {@link verifyPassword}, {@link needsRehash}. */
export const argon2Hasher: PasswordHasher = Object.freeze({
  hash: hashPassword,
  verify: verifyPassword,
  needsRehash,
});
