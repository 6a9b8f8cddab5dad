import { randomBytes } from 'node:crypto';
import { AccountError } from '../accounts/index.ts';

/** 192 random bits, base64url (32 characters): far beyond guessing, short enough to type. */
export function generateOneTimePassword(): string {
  return randomBytes(24).toString('base64url');
}

const ATTEMPTS = 5;

/**
 * Runs `use` with fresh one-time passwords until the password policy accepts one. A random
 * password can, very rarely, contain a short username (`contains_username`); any other failure is
 * passed on at once. Returns what `use` returned and the password it was given.
 *
 * @example
 * const { result: user, password } = await withOneTimePassword((pw) => accounts.createUser({ username, password: pw }));
 */
export async function withOneTimePassword<T>(
  use: (password: string) => Promise<T>,
): Promise<{ readonly result: T; readonly password: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const password = generateOneTimePassword();
    try {
      return { result: await use(password), password };
    } catch (error) {
      if (!(error instanceof AccountError && error.code === 'weak_password') || attempt >= ATTEMPTS)
        throw error;
    }
  }
}
