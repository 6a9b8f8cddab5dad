import type { PolicyFailure } from './password-policy.ts';

/**
 * Why an account operation was refused. These are outcomes of invalid or hostile input (an admin
 * API or a sign-up form), so they are safe to show: none carries a stored value.
 */
export type AccountErrorCode =
  | 'username_taken'
  | 'invalid_username'
  | 'invalid_display_name'
  | 'invalid_email'
  | 'weak_password'
  | 'unknown_user'
  | 'unknown_group'
  | 'group_exists'
  | 'invalid_group'
  | 'invalid_role'
  | 'totp_exists'
  | 'totp_not_enabled';

/**
 * A refused account operation, with a machine-readable `code`. A weak password also carries the
 * policy's `reason` and message in `policy`.
 *
 * @example
 * try {
 *   await accounts.createUser({ username: 'alice', password });
 * } catch (error) {
 *   if (error instanceof AccountError && error.code === 'username_taken') reply(409);
 *   else throw error;
 * }
 */
export class AccountError extends Error {
  readonly code: AccountErrorCode;
  readonly policy: PolicyFailure | undefined;

  constructor(code: AccountErrorCode, message: string, policy?: PolicyFailure) {
    super(message);
    this.name = 'AccountError';
    this.code = code;
    this.policy = policy;
  }
}
